import type { Router } from 'express';
import { type RouteGuards, strictRouter } from './routeGuards';
import { z } from 'zod';
import type { QueryService } from '../query/queryService';
import { annotationEvents } from '../query/annotations';
import { variableOptions } from '../query/variables';
import type { StoreReader } from '../store/store';
import { queryList, queryTime } from '@rpa-analytics/contract';
import { ANNOTATION_TYPES, queryRequestSchema, VARIABLE_KINDS } from '@rpa-analytics/contract';
import { parseOrThrow } from './validate';

const variableParams = z.strictObject({ kind: z.enum(VARIABLE_KINDS) });
const variableQuery = z.strictObject({ workflow: queryList.optional() });

const severity = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'expected a number from 0 to 1')
  .transform(Number)
  .pipe(z.number().min(0).max(1));
const annotationQuery = z
  .strictObject({
    type: z.enum(ANNOTATION_TYPES).default('anomalies'),
    from: queryTime,
    to: queryTime,
    workflow: queryList.optional(),
    host: queryList.optional(),
    minSeverity: severity.optional(),
    maxSeverity: severity.optional(),
    limit: z.string().regex(/^\d+$/).transform(Number).pipe(z.number().min(1).max(10_000)).default(1000),
  })
  .refine((q) => q.to > q.from, { message: 'must be after from', path: ['to'] });

/** The Grafana plugin's endpoints: panel queries, template variables, annotations. */
export function queryRouter(guards: RouteGuards, store: StoreReader, queries: QueryService): Router {
  const router = strictRouter();

  router.post('/query', guards.read, async (req, res) => {
    res.type('application/json').send(await queries.runJson(parseOrThrow(queryRequestSchema, req.body, 'query')));
  });

  router.get('/variables/:kind', guards.read, (req, res) => {
    const { kind } = parseOrThrow(variableParams, req.params, 'variable kind');
    const q = parseOrThrow(variableQuery, req.query, 'query');
    res.json(variableOptions(store, kind, q.workflow));
  });

  router.get('/annotations', guards.read, (req, res) => {
    const q = parseOrThrow(annotationQuery, req.query, 'query');
    res.json(annotationEvents(store, { ...q, workflows: q.workflow, hosts: q.host }));
  });

  return router;
}
