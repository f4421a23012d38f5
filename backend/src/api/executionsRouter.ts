import type { Router } from 'express';
import { type RouteGuards, strictRouter } from './routeGuards';
import { AppError } from '../domain/errors';
import type { ExecutionReader } from '../store/store';
import { executionListQuerySchema } from '@rpa-analytics/contract';
import { parseOrThrow } from './validate';

export function executionsRouter(guards: RouteGuards, store: ExecutionReader): Router {
  const router = strictRouter();

  router.get('/executions', guards.read, (req, res) => {
    const q = parseOrThrow(executionListQuerySchema, req.query, 'query');
    if (q.from !== undefined && q.to !== undefined && q.to <= q.from) {
      throw new AppError('validation_failed', 'invalid query: to must be after from', [{ field: 'to', message: 'must be after from' }]);
    }
    const page = store.listExecutions({
      workflows: q.workflow,
      statuses: q.status,
      hosts: q.host,
      robots: q.robot,
      from: q.from,
      to: q.to,
      limit: q.limit,
      cursor: q.cursor,
    });
    res.json(page);
  });

  router.get('/executions/:id', guards.read, (req, res) => {
    const execution = store.getExecution(req.params.id);
    if (!execution) throw new AppError('not_found', `no execution '${req.params.id}'`);
    res.json(execution);
  });

  return router;
}
