import type { Router } from 'express';
import { type RouteGuards, strictRouter } from './routeGuards';
import { AppError } from '../domain/errors';
import type { IngestService } from '../ingest/ingestService';
import {
  batchRecordCount,
  executionCompleteSchema,
  executionId,
  executionStartSchema,
  ingestBatchSchema,
  parseUsualBatch,
  stepReportSchema,
} from '@rpa-analytics/contract';
import { parseOrThrow } from './validate';
import { assertBodyDepth } from './jsonDepth';

export function ingestRouter(guards: RouteGuards, service: IngestService, maxBatchRecords: number): Router {
  const router = strictRouter();

  router.post('/ingest', guards.ingestBatch, (req, res) => {
    const records = batchRecordCount(req.body);
    if (records > maxBatchRecords) {
      throw new AppError('payload_too_large', `batch has ${records} records; at most ${maxBatchRecords} are accepted per request, split it`);
    }
    // The usual batch is checked by hand; anything else (and every error) is the schema's, once
    // its nesting is known not to be too deep for it.
    let batch = parseUsualBatch(req.body);
    if (!batch) {
      assertBodyDepth(req);
      batch = parseOrThrow(ingestBatchSchema, req.body, 'batch');
    }
    const { finished: _finished, ...accepted } = service.ingestBatch(batch);
    res.status(200).json({ accepted });
  });

  router.post('/executions/:id/start', guards.ingest, (req, res) => {
    const id = parseOrThrow(executionId, req.params.id, 'execution id', 'id');
    const start = parseOrThrow(executionStartSchema, req.body ?? {}, 'execution start');
    res.status(200).json(service.startExecution(id, start));
  });

  router.post('/executions/:id/steps', guards.ingest, (req, res) => {
    const id = parseOrThrow(executionId, req.params.id, 'execution id', 'id');
    const step = parseOrThrow(stepReportSchema, req.body ?? {}, 'step');
    res.status(200).json(service.recordStep(id, step));
  });

  router.post('/executions/:id/complete', guards.ingest, (req, res) => {
    const id = parseOrThrow(executionId, req.params.id, 'execution id', 'id');
    const complete = parseOrThrow(executionCompleteSchema, req.body ?? {}, 'execution completion');
    res.status(200).json(service.completeExecution(id, complete));
  });

  return router;
}
