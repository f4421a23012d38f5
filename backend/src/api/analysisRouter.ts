import type { Router } from 'express';
import { type RouteGuards, strictRouter } from './routeGuards';
import { AppError } from '../domain/errors';
import type { AnalysisRunner } from '../engine/analysisRunner';
import type { QueryService } from '../query/queryService';
import type { StoreReader } from '../store/store';
import { robotSeriesKey } from '../analysis/anomaly/seriesCatalog';
import {
  anomaliesQuery,
  comparisonQuery,
  degradationQuery,
  implementedBody,
  incidentsQuery,
  insightsQuery,
  rangeQuery,
  successQuery,
  workflowAnalysisQuery,
} from '@rpa-analytics/contract';
import { parseOrThrow } from './validate';

/**
 * `/analysis/...`, `/anomalies`, `/incidents`, `/insights`: what the analysis engine found. The
 * on-demand analyses read whole ranges of runs, so they run in the query workers, off the thread
 * that ingests.
 */
export function analysisRouter(guards: RouteGuards, store: StoreReader, engine: AnalysisRunner, queries: QueryService): Router {
  const router = strictRouter();
  const range = (query: { from?: string; to?: string }) => parseOrThrow(rangeQuery, { from: query.from, to: query.to }, 'time range');

  router.get('/analysis/performance', guards.read, async (req, res) => {
    const q = parseOrThrow(workflowAnalysisQuery, req.query, 'query');
    const r = range(q);
    res.json(await queries.analysis('analyzeWorkflow', q.workflow, r.from, r.to, q.top ?? 5));
  });

  router.get('/analysis/bottlenecks', guards.read, async (req, res) => {
    const q = parseOrThrow(workflowAnalysisQuery, req.query, 'query');
    const all = await queries.analysis('bottlenecks', q.workflow, range(q));
    res.json(q.top ? all.slice(0, q.top) : all);
  });

  router.get('/analysis/comparison', guards.read, async (req, res) => {
    const q = parseOrThrow(comparisonQuery, req.query, 'query');
    res.json(await queries.analysis('compareWorkflows', q.workflow, range(q)));
  });

  router.get('/analysis/trend', guards.read, async (req, res) => {
    const q = parseOrThrow(workflowAnalysisQuery, req.query, 'query');
    res.json(await queries.analysis('trend', q.workflow, range(q)));
  });

  router.get('/analysis/degradation', guards.read, async (req, res) => {
    const q = parseOrThrow(degradationQuery, req.query, 'query');
    const r = range(q);
    const explicit = [q.baselineFrom, q.baselineTo, q.currentFrom, q.currentTo];
    if (explicit.some((t) => t !== undefined) && explicit.some((t) => t === undefined)) {
      throw new AppError('validation_failed', 'invalid query: give all of baselineFrom, baselineTo, currentFrom, currentTo, or none', [
        { field: 'baselineFrom', message: 'the four period bounds go together' },
      ]);
    }
    const periods =
      q.baselineFrom !== undefined ? { baseline: { from: q.baselineFrom, to: q.baselineTo! }, current: { from: q.currentFrom!, to: q.currentTo! } } : undefined;
    res.json(await queries.analysis('detectDegradation', q.workflow, r, periods));
  });

  router.get('/analysis/success', guards.read, async (req, res) => {
    const q = parseOrThrow(successQuery, req.query, 'query');
    const r = range(q);
    res.json(await queries.analysis('analyzeSuccess', q.workflow, r, q.bucketMs ?? 3_600_000));
  });

  router.post('/analysis/run', guards.admin, async (_req, res) => {
    res.json(await engine.runPass({ refreshInsights: true }));
  });

  router.get('/anomalies', guards.read, (req, res) => {
    const q = parseOrThrow(anomaliesQuery, req.query, 'query');
    const r = req.query.from !== undefined || req.query.to !== undefined ? range(q) : {};
    res.json(
      store.listAnomalies({
        ...r,
        status: q.status,
        workflows: q.workflow,
        hosts: q.host,
        seriesKeys: q.robot?.map(robotSeriesKey),
        metrics: q.metric,
        minSeverity: q.minSeverity,
        limit: q.limit ?? 1000,
      }),
    );
  });

  router.get('/anomalies/:id', guards.read, (req, res) => {
    const anomaly = store.getAnomaly(req.params.id);
    if (!anomaly) throw new AppError('not_found', `no anomaly '${req.params.id}'`);
    res.json(anomaly);
  });

  router.get('/incidents', guards.read, (req, res) => {
    const q = parseOrThrow(incidentsQuery, req.query, 'query');
    const r = req.query.from !== undefined || req.query.to !== undefined ? range(q) : {};
    res.json(store.listIncidents({ ...r, status: q.status, minSeverity: q.minSeverity, limit: q.limit ?? 1000 }));
  });

  router.get('/insights', guards.read, (req, res) => {
    const q = parseOrThrow(insightsQuery, req.query, 'query');
    res.json(store.listInsights({ status: q.status, workflows: q.workflow, categories: q.category, limit: q.limit ?? 1000 }));
  });

  router.get('/insights/:id', guards.read, (req, res) => {
    const insight = store.getInsight(req.params.id);
    if (!insight) throw new AppError('not_found', `no insight '${req.params.id}'`);
    res.json(insight);
  });

  router.post('/insights/:id/implemented', guards.admin, (req, res) => {
    const body = parseOrThrow(implementedBody, req.body ?? {}, 'implementation');
    res.json(engine.insights.markImplemented(req.params.id, body));
  });

  return router;
}
