import { createHash } from 'node:crypto';
import type { Anomaly, Incident } from '../../domain/analysis';

export interface CorrelationOptions {
  /** Anomalies that start this close together belong to one incident (default 30 minutes). */
  windowMs: number;
  /** On the same host, this close (default 2 hours). */
  sameHostWindowMs: number;
}

export const DEFAULT_CORRELATION: CorrelationOptions = { windowMs: 30 * 60_000, sameHostWindowMs: 2 * 3600_000 };

/** Hosts an anomaly touches: its own, or those its workflow's affected runs used. */
export type HostsOf = (anomaly: Anomaly) => readonly string[];

/** An anomaly being grouped: the hosts it touched, and its parent in the union-find. */
interface Node {
  anomaly: Anomaly;
  hosts: readonly string[];
  parent: number;
}

function root(nodes: Node[], i: number): number {
  while (nodes[i].parent !== i) i = nodes[i].parent = nodes[nodes[i].parent].parent;
  return i;
}

/**
 * The incidents of a set of anomalies: two anomalies belong together when one started within
 * `windowMs` of the other, or within `sameHostWindowMs` on a host both touched; an incident is a
 * group linked through such pairs. It depends on the anomalies alone, not on the order they were
 * found in: a fleet judged live, a backfill judged later and a history judged at once group alike.
 * Only starts link: an anomaly that lasts days does not gather everything that starts meanwhile.
 *
 * An incident's id comes from its earliest anomaly, so an incident found again keeps its id.
 */
export function groupIncidents(anomalies: readonly Anomaly[], hostsOf: HostsOf, options = DEFAULT_CORRELATION): Incident[] {
  const sorted = [...anomalies].sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id));
  const nodes: Node[] = sorted.map((anomaly, i) => ({ anomaly, hosts: hostsOf(anomaly), parent: i }));
  const reach = Math.max(options.windowMs, options.sameHostWindowMs);
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i - 1; j >= 0; j--) {
      const apart = nodes[i].anomaly.startedAt - nodes[j].anomaly.startedAt;
      if (apart > reach) break;
      const linked = apart <= options.windowMs || (apart <= options.sameHostWindowMs && nodes[i].hosts.some((h) => nodes[j].hosts.includes(h)));
      if (linked) nodes[root(nodes, i)].parent = root(nodes, j);
    }
  }
  const groups = new Map<number, Node[]>();
  for (let i = 0; i < nodes.length; i++) {
    const r = root(nodes, i);
    const group = groups.get(r);
    if (group) group.push(nodes[i]);
    else groups.set(r, [nodes[i]]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0].anomaly;
    const incident: Incident = {
      id: `in-${createHash('sha1').update(first.id).digest('hex').slice(0, 16)}`,
      status: 'open',
      startedAt: first.startedAt,
      lastSeenAt: first.lastSeenAt,
      severity: 0,
      anomalyIds: group.map((n) => n.anomaly.id),
      workflows: [...new Set(group.map((n) => n.anomaly.workflow).filter((w): w is string => w !== undefined))],
      hosts: [...new Set(group.flatMap((n) => n.hosts))],
      title: '',
    };
    return refresh(incident, group.map((n) => n.anomaly));
  });
}

/** Keeps an incident's severity and state in step with its anomalies; closed when all of them are. */
export function refresh(incident: Incident, anomalies: readonly Anomaly[]): Incident {
  const members = anomalies.filter((a) => incident.anomalyIds.includes(a.id));
  if (members.length === 0) return incident;
  const updated = { ...incident };
  updated.severity = Math.max(...members.map((a) => a.severity));
  updated.lastSeenAt = Math.max(...members.map((a) => a.lastSeenAt));
  if (members.every((a) => a.status === 'closed')) {
    updated.status = 'closed';
    updated.endedAt = Math.max(...members.map((a) => a.endedAt ?? a.lastSeenAt));
  } else {
    updated.status = 'open';
    delete updated.endedAt;
  }
  updated.title = title(updated);
  return updated;
}

function title(incident: Incident): string {
  const parts = [...incident.workflows, ...incident.hosts.map((h) => `host ${h}`)];
  const shown = parts.slice(0, 3).join(', ') + (parts.length > 3 ? ` and ${parts.length - 3} more` : '');
  return `${incident.anomalyIds.length} anomal${incident.anomalyIds.length === 1 ? 'y' : 'ies'} on ${shown || 'the fleet'}`;
}
