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

function overlapsInTime(incident: Incident, anomaly: Anomaly, windowMs: number): boolean {
  const end = incident.status === 'open' ? incident.lastSeenAt : (incident.endedAt ?? incident.lastSeenAt);
  return anomaly.startedAt >= incident.startedAt - windowMs && anomaly.startedAt <= end + windowMs;
}

/**
 * Attaches a newly opened anomaly to the incident it belongs with: one still open or recently
 * seen that started within `windowMs` of it, or that shares a host within `sameHostWindowMs`.
 * Otherwise it opens a new incident. Returns the incident to store.
 */
export function correlate(anomaly: Anomaly, incidents: readonly Incident[], hostsOf: HostsOf, options = DEFAULT_CORRELATION): Incident {
  const hosts = hostsOf(anomaly);
  const match = incidents
    .filter((i) => i.status === 'open' || (i.endedAt ?? 0) >= anomaly.startedAt - options.windowMs)
    .find(
      (i) =>
        overlapsInTime(i, anomaly, options.windowMs) ||
        (hosts.some((h) => i.hosts.includes(h)) && overlapsInTime(i, anomaly, options.sameHostWindowMs)),
    );
  const incident: Incident = match
    ? structuredClone(match)
    : {
        id: `in-${createHash('sha1').update(anomaly.id).digest('hex').slice(0, 16)}`,
        status: 'open',
        startedAt: anomaly.startedAt,
        lastSeenAt: anomaly.lastSeenAt,
        severity: 0,
        anomalyIds: [],
        workflows: [],
        hosts: [],
        title: '',
      };
  if (!incident.anomalyIds.includes(anomaly.id)) incident.anomalyIds.push(anomaly.id);
  if (anomaly.workflow && !incident.workflows.includes(anomaly.workflow)) incident.workflows.push(anomaly.workflow);
  for (const host of hosts) if (!incident.hosts.includes(host)) incident.hosts.push(host);
  incident.status = 'open';
  delete incident.endedAt;
  incident.startedAt = Math.min(incident.startedAt, anomaly.startedAt);
  incident.lastSeenAt = Math.max(incident.lastSeenAt, anomaly.lastSeenAt);
  incident.severity = Math.max(incident.severity, anomaly.severity);
  incident.title = title(incident);
  return incident;
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
