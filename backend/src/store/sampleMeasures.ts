import type { SampleMeasure } from './store';

/**
 * Each measure as SQL over `resource_samples s`, the same text for SQLite and PostgreSQL: NULL
 * where a sample does not have it. Memory is computed in doubles in both (as JavaScript would).
 */
export const SAMPLE_MEASURE_SQL: Record<SampleMeasure, string> = {
  cpuPercent: 's.cpu_percent',
  memoryPercent: 'CASE WHEN s.memory_total > 0 THEN CAST(100 AS DOUBLE PRECISION) * s.memory_used / s.memory_total END',
  gpuPercent: 's.gpu_percent',
  diskUsedPercent: 'CASE WHEN s.disk_total > 0 THEN CAST(100 AS DOUBLE PRECISION) * s.disk_used / s.disk_total END',
  diskReadBytesPerSec: 's.disk_read',
  diskWriteBytesPerSec: 's.disk_write',
  netRxBytesPerSec: 's.net_rx',
  netTxBytesPerSec: 's.net_tx',
};

/** Memory use as the analysis judges hosts by it: a sample with a memory total of 0 uses none (host panels leave it out). */
export const ANALYSIS_MEMORY_SQL = `coalesce(${SAMPLE_MEASURE_SQL.memoryPercent}, 0.0)`;

/** The grouped select over a sample subquery (`host_id`, `workflow_id`, bucket `b`, value `v`). */
export const SAMPLE_BUCKETS_SELECT = 'SELECT host_id, workflow_id, b, count(*) AS n, sum(v) AS total, min(v) AS low, max(v) AS high';
