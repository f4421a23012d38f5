import type { Request, Response, Router } from 'express';
import { type RouteGuards, strictRouter } from './routeGuards';
import { z } from 'zod';
import type { ChangeFeed } from '../ingest/changeFeed';
import { executionMatches, executionRowLimit, executionRowsFrame, runLogFrame } from '../query/analysisTables';
import type { ChangeLog, ChangeSet } from '../store/store';
import { HOST_METRICS, liveRequestSchema, type LiveResponse, type QueryTarget } from '@rpa-analytics/contract';
import { parseOrThrow } from './validate';

const cursorParam = z.union([z.literal('latest'), z.string().regex(/^\d+$/, "expected a whole number or 'latest'").transform(Number)]);
const wholeNumber = (min: number, max: number) => z.string().regex(/^\d+$/, 'expected a whole number').transform(Number).pipe(z.number().min(min).max(max));

const changesQuery = z.strictObject({
  cursor: cursorParam.default(0),
  limit: wholeNumber(1, 1000).default(100),
  waitMs: wholeNumber(0, 30_000).default(0),
});
const streamQuery = z.strictObject({ cursor: cursorParam.optional(), limit: wholeNumber(1, 1000).default(100) });

/** Comments on an idle event stream, so proxies and load balancers keep it open. */
const HEARTBEAT_MS = 15_000;

/**
 * The change feed: `GET /changes` (poll or long-poll from a cursor), `GET /changes/stream`
 * (server-sent events, resumable with Last-Event-ID) and `POST /query/changes` (what changed
 * for some panel queries: the Grafana plugin's live mode).
 */
export function changesRouter(guards: RouteGuards, store: ChangeLog, feed: ChangeFeed): Router {
  const router = strictRouter();
  const resolve = (cursor: number | 'latest') => (cursor === 'latest' ? store.latestChange() : cursor);

  router.get('/changes', guards.read, async (req, res) => {
    const q = parseOrThrow(changesQuery, req.query, 'query');
    const cursor = resolve(q.cursor);
    let changes = store.changes(cursor, q.limit);
    if (changes.cursor === cursor && q.waitMs > 0 && (await feed.waitForChange(cursor, q.waitMs, closedSignal(req, res)))) {
      changes = store.changes(cursor, q.limit);
    }
    res.json(changes);
  });

  router.get('/changes/stream', guards.read, async (req, res) => {
    const q = parseOrThrow(streamQuery, req.query, 'query');
    const resumeFrom = req.get('last-event-id');
    const fromHeader = resumeFrom !== undefined ? parseOrThrow(cursorParam, resumeFrom, 'Last-Event-ID header', 'Last-Event-ID') : undefined;
    let cursor = resolve(q.cursor ?? fromHeader ?? 'latest');
    // The first read happens before the stream opens: a bad or expired cursor is a plain 4xx.
    let changes = store.changes(cursor, q.limit);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    res.write(`retry: 2000\n: change feed from cursor ${cursor}\n\n`);
    const signal = closedSignal(req, res);
    let quietSince = Date.now();
    try {
      while (!signal.aborted && !feed.isClosed) {
        if (changes.cursor !== cursor) {
          res.write(`id: ${changes.cursor}\nevent: changes\ndata: ${JSON.stringify(changes)}\n\n`);
          cursor = changes.cursor;
          quietSince = Date.now();
        } else if (Date.now() - quietSince >= HEARTBEAT_MS) {
          res.write(': still here\n\n');
          quietSince = Date.now();
        }
        if (!changes.more) await feed.waitForChange(cursor, HEARTBEAT_MS, signal);
        if (signal.aborted || feed.isClosed) break;
        changes = store.changes(cursor, q.limit);
      }
    } catch (error) {
      // The stream is open: the error goes to the client as an event; it reconnects with Last-Event-ID.
      res.write(`event: error\ndata: ${JSON.stringify({ message: (error as Error).message })}\n\n`);
    }
    // A client that went away leaves a response that can never finish: destroy it, or the server
    // would count its connection as busy until its request timeout.
    if (signal.aborted) res.destroy();
    else res.end();
  });

  router.post('/query/changes', guards.read, async (req, res) => {
    const request = parseOrThrow(liveRequestSchema, req.body, 'live query');
    const signal = closedSignal(req, res);
    const deadline = Date.now() + request.waitMs;
    let cursor = request.cursor;
    for (;;) {
      const changes = store.changes(cursor, 100);
      const response = liveResults(request.targets, changes);
      const changed = Object.values(response.results).some((r) => r.changed);
      cursor = changes.cursor;
      const left = deadline - Date.now();
      if (changed || changes.more || left <= 0 || signal.aborted || !(await feed.waitForChange(cursor, left, signal))) {
        res.json({ ...response, cursor });
        return;
      }
    }
  });

  return router;
}

/** What a change set means to each live query. */
export function liveResults(targets: readonly QueryTarget[], changes: ChangeSet): LiveResponse {
  const results: LiveResponse['results'] = {};
  for (const target of targets) {
    // Host metrics come from samples, whether asked as host resources or as a time series.
    if (target.queryType === 'resources' || (target.metric !== undefined && (HOST_METRICS as readonly string[]).includes(target.metric))) {
      const hosts = target.host?.length ? new Set(target.host) : undefined;
      results[target.refId] = { changed: changes.samples.some((s) => !hosts || hosts.has(s.host)), frames: [] };
      continue;
    }
    const rows = changes.executions.filter((e) => executionMatches(target, e));
    if (target.queryType === 'executions') {
      const newest = rows.sort((a, b) => b.startedAt - a.startedAt).slice(0, executionRowLimit(target));
      // Runs named by id, as logs: their own logs, steps and all, as the query once gives them.
      const frame = () =>
        target.execution?.length && target.format === 'logs' ? runLogFrame(target, newest) : executionRowsFrame(target, newest.map(withoutDetail));
      results[target.refId] = { changed: newest.length > 0, frames: newest.length > 0 ? [frame()] : [] };
    } else {
      results[target.refId] = { changed: rows.length > 0, frames: [] };
    }
  }
  return { cursor: changes.cursor, more: changes.more, results };
}

function withoutDetail(detail: ChangeSet['executions'][number]) {
  const { steps: _steps, resources: _resources, ...execution } = detail;
  return execution;
}

/** Aborts when the client goes away before the answer is sent. */
function closedSignal(req: Request, res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  req.on('aborted', () => controller.abort());
  return controller.signal;
}
