import type { Field, FieldType, Frame } from '@rpa-analytics/contract';

export interface Column {
  name: string;
  type: FieldType;
  unit?: string;
  values: unknown[];
}

/** A table frame; an empty table keeps its columns so panels keep their layout. */
export function table(refId: string, name: string, columns: readonly Column[]): Frame {
  return {
    refId,
    name,
    meta: { preferredVisualisationType: 'table' },
    fields: columns.map((c): Field => ({ name: c.name, type: c.type, ...(c.unit ? { config: { unit: c.unit } } : {}), values: c.values })),
  };
}

/** Columns from rows: `column('Runs', 'number', rows, (r) => r.runs)`. */
export function column<R>(name: string, type: FieldType, rows: readonly R[], value: (row: R) => unknown, unit?: string): Column {
  return { name, type, unit, values: rows.map((row) => value(row) ?? null) };
}
