import type { ScopedVars } from '@grafana/data';
import type { TemplateSrv } from '@grafana/runtime';
import type { RpaQuery, RpaVariableQuery } from './types';

const LIST_FIELDS = ['workflow', 'step', 'host', 'robot', 'status', 'errorType', 'execution'] as const;
const SEPARATOR = '\u001f';
const ALL = '$__all';

/** The variable an entry is, when the whole entry is one reference: `$host`, `${host}`, `[[host]]`. */
function variableName(entry: string): string | undefined {
  const match = /^\$(\w+)$|^\$\{(\w+)(?::\w+)?\}$|^\[\[(\w+)\]\]$/.exec(entry.trim());
  return match ? (match[1] ?? match[2] ?? match[3]) : undefined;
}

function isAll(templateSrv: TemplateSrv, name: string, scopedVars?: ScopedVars): boolean {
  const scoped = scopedVars?.[name]?.value;
  if (scoped !== undefined) return scoped === ALL || (Array.isArray(scoped) && scoped.includes(ALL));
  const variable = templateSrv.getVariables().find((v) => v.name === name) as { current?: { value?: unknown } } | undefined;
  const value = variable?.current?.value;
  return value === ALL || (Array.isArray(value) && value.includes(ALL));
}

/**
 * Interpolates one filter list: each entry may be a literal or a template variable, whose
 * values (several, for a multi-value variable) join the list. A variable set to All means no
 * filter at all, so the whole list is dropped.
 */
export function interpolateList(templateSrv: TemplateSrv, list: readonly string[] | undefined, scopedVars?: ScopedVars): string[] | undefined {
  if (!list || list.length === 0) return undefined;
  const out: string[] = [];
  for (const entry of list) {
    const name = variableName(entry);
    if (name && isAll(templateSrv, name, scopedVars)) return undefined;
    // A whole-entry reference is a list whatever format it names (`${workflow:csv}` would join its
    // values into one name that matches nothing): the format is dropped, the values kept apart.
    const source = name ? `\${${name}}` : entry;
    const replaced = templateSrv.replace(source, scopedVars, (value: string | string[]) => (Array.isArray(value) ? value.join(SEPARATOR) : value));
    out.push(...replaced.split(SEPARATOR).filter((v) => v !== ''));
  }
  return out.length ? [...new Set(out)] : undefined;
}

/** Every template variable in a query replaced: filter lists as lists, the alias as text. */
export function interpolateQuery(templateSrv: TemplateSrv, query: RpaQuery, scopedVars?: ScopedVars): RpaQuery {
  const next: RpaQuery = { ...query };
  for (const field of LIST_FIELDS) {
    const value = interpolateList(templateSrv, query[field], scopedVars);
    if (value) next[field] = value;
    else delete next[field];
  }
  // The alias keeps {{label}} placeholders for the collector; only $variables are replaced here.
  if (query.alias) next.alias = templateSrv.replace(query.alias, scopedVars);
  return next;
}

export function interpolateVariableQuery(templateSrv: TemplateSrv, query: RpaVariableQuery, scopedVars?: ScopedVars): RpaVariableQuery {
  const workflow = interpolateList(templateSrv, query.workflow, scopedVars);
  return { ...query, workflow };
}
