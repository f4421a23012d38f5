/** A row of a change log, as both stores keep it: what one write touched, as JSON arrays. */
export interface ChangeRow {
  seq: number;
  executions: string | null;
  samples: string | null;
  anomalies: string | null;
  insights: string | null;
}

/** What log rows name, each once: execution ids, sample keys (host, time), anomaly and insight ids. */
export function changedKeys(rows: ReadonlyArray<Omit<ChangeRow, 'seq'>>): {
  executions: string[];
  samples: Array<[string, number]>;
  anomalies: string[];
  insights: string[];
} {
  const executions = new Set<string>();
  const samples = new Map<string, [string, number]>();
  const anomalies = new Set<string>();
  const insights = new Set<string>();
  for (const row of rows) {
    for (const id of parse<string>(row.executions)) executions.add(id);
    for (const [host, time] of parse<[string, number]>(row.samples)) samples.set(`${host}\u0000${time}`, [host, time]);
    for (const id of parse<string>(row.anomalies)) anomalies.add(id);
    for (const id of parse<string>(row.insights)) insights.add(id);
  }
  return { executions: [...executions], samples: [...samples.values()], anomalies: [...anomalies], insights: [...insights] };
}

function parse<T>(value: string | null): T[] {
  return value === null ? [] : (JSON.parse(value) as T[]);
}

/**
 * A run whose start a write placed, as the log keeps it: its id when new, or its id with the
 * workflow and start it had when the write moved it.
 */
export type PlacedRun = string | readonly [id: string, workflow: string, startedAt: number];

/** What log rows name for the analysis: changed runs, those whose start was placed, where moved runs were, and each host's earliest changed sample. */
export function arrivedKeys(rows: Iterable<{ executions: string | null; samples: string | null; started: string | null }>): {
  runs: Set<string>;
  placed: Set<string>;
  vacated: Array<{ workflow: string; startedAt: number }>;
  hosts: Array<{ host: string; earliest: number }>;
} {
  const runs = new Set<string>();
  const placed = new Set<string>();
  const vacated: Array<{ workflow: string; startedAt: number }> = [];
  const hosts = new Map<string, number>();
  for (const row of rows) {
    for (const id of parse<string>(row.executions)) runs.add(id);
    for (const entry of parse<PlacedRun>(row.started)) {
      if (typeof entry === 'string') placed.add(entry);
      else {
        placed.add(entry[0]);
        vacated.push({ workflow: entry[1], startedAt: entry[2] });
      }
    }
    for (const [host, time] of parse<[string, number]>(row.samples)) {
      const earliest = hosts.get(host);
      if (earliest === undefined || time < earliest) hosts.set(host, time);
    }
  }
  return { runs, placed, vacated, hosts: [...hosts].map(([host, earliest]) => ({ host, earliest })) };
}
