import type { RequestHandler, Router } from 'express';
import { z } from 'zod';
import { ingestBatchSchema } from '@rpa-analytics/contract';
import { AppError } from '../domain/errors';
import type { IngestService } from '../ingest/ingestService';
import type { ExecutionReader } from '../store/store';
import { plausibleSignature, UIPATH_SIGNATURE_HEADER, uipathRuns, validUipathSignature } from '../integrations/uipath';
import { assertJsonDepth } from './jsonDepth';
import { type RouteGuards, strictRouter } from './routeGuards';
import { parseOrThrow } from './validate';

/**
 * Where RPA platforms report runs in their own formats. `POST /integrations/uipath` takes
 * Orchestrator's webhook events, signed with the secret `RPA_UIPATH_WEBHOOK_SECRET` holds.
 */
export function integrationsRouter(
  guards: RouteGuards,
  service: IngestService,
  runs: Pick<ExecutionReader, 'getExecution'>,
  options: { uipathSecret?: string },
): Router {
  const router = strictRouter();

  const unsigned = () =>
    new AppError('unauthorized', `missing or wrong ${UIPATH_SIGNATURE_HEADER} header: the base64 HMAC-SHA256 of the body with the webhook's secret`);
  // Before the body is read: the route is on, and the request carries a signature of the right shape.
  const signedRequest: RequestHandler = (req, _res, next) => {
    if (!options.uipathSecret)
      return next(new AppError('not_found', 'the UiPath integration is off: set RPA_UIPATH_WEBHOOK_SECRET to the secret of the Orchestrator webhook'));
    return next(plausibleSignature(req.get(UIPATH_SIGNATURE_HEADER)) ? undefined : unsigned());
  };

  router.post('/integrations/uipath', signedRequest, guards.signedIngest, (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    // The signature first: a forged request is not parsed.
    if (!validUipathSignature(options.uipathSecret!, body, req.get(UIPATH_SIGNATURE_HEADER))) throw unsigned();
    assertJsonDepth(body);
    let event: unknown;
    try {
      event = JSON.parse(body.toString('utf8'));
    } catch {
      throw new AppError('bad_request', 'the body is not JSON');
    }
    let reported;
    try {
      reported = uipathRuns(event);
    } catch (error) {
      if (error instanceof z.ZodError) {
        const issue = error.issues[0];
        throw new AppError('bad_request', `UiPath event: ${issue.path.join('.') || 'body'}: ${issue.message}`);
      }
      throw error;
    }
    // Events about anything but a job starting or ending are acknowledged: a failed delivery
    // would have Orchestrator turn the webhook off for an hour.
    if (reported === undefined) {
      res
        .status(200)
        .json({ accepted: { executions: 0, steps: 0, samples: 0 }, ignored: `event type ${(event as { Type: string }).Type} is not a job's start or end` });
      return;
    }
    // A start that arrives after its job's end says nothing new (its start time may be the event's).
    const executions = reported.runs.filter((run) => run.status !== 'running' || (runs.getExecution(run.id)?.status ?? 'running') === 'running');
    const batch = parseOrThrow(ingestBatchSchema, { executions }, 'batch');
    const { finished: _finished, ...accepted } = service.ingestBatch(batch);
    res.status(200).json({ accepted, ...(reported.skipped.length ? { skipped: reported.skipped } : {}) });
  });

  return router;
}
