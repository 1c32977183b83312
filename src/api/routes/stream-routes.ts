import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { Type } from 'typebox';
import { appError } from '../../domain/index.js';
import type { LiveFeed } from '../live-feed.js';
import { parseDuration, parseSince, seriesPointView } from '../metrics-views.js';
import { Info, SeriesReply, StreamResponse } from '../reply-schemas.js';
import { ModelParams } from '../schemas.js';
import type { ApiServices } from '../services.js';

const SeriesQuery = Type.Object(
  { window: Type.Optional(Type.String({ maxLength: 12 })), since: Type.Optional(Type.String({ maxLength: 40 })), step: Type.Optional(Type.String({ maxLength: 12 })) },
  { additionalProperties: false },
);

const MAX_SERIES_WINDOW_MS = 24 * 3_600_000;
/** Automatic steps keep a chart at about this many points per variant, whatever the window. */
const TARGET_POINTS = 360;
const MAX_POINTS = 5000;

const { version: VERSION } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** What live views need besides the REST resources: server facts, chart series and the event stream. */
export function streamRoutes(app: FastifyInstance, s: ApiServices, feed: LiveFeed): void {
  app.get('/v1/info', { schema: { response: { 200: Info } } }, async () => ({
    name: 'coalmine',
    version: VERSION,
    server_time: Date.now(),
    default_model: s.config.defaultModel,
    thresholds: { accuracy_pct: s.config.accuracyThresholdPct, latency_p95_ms: s.config.latencyThresholdMs },
    bucket_ms: s.metrics.bucketMs,
    stream_tick_ms: s.config.streamTickMs,
  }));

  app.get<{ Params: { name: string }; Querystring: { window?: string; since?: string; step?: string } }>(
    '/v1/models/:name/metrics/series',
    { schema: { params: ModelParams, querystring: SeriesQuery, response: { 200: SeriesReply } } },
    async (req) => {
      const model = await s.registry.get(req.params.name);
      const now = Date.now();
      const from = req.query.since !== undefined ? parseSince(req.query.since) : now - parseDuration(req.query.window ?? '15m');
      if (from >= now) throw appError('invalid_request', 'the series window must start in the past');
      if (now - from > MAX_SERIES_WINDOW_MS) throw appError('invalid_request', 'the series window is limited to 24h; use a shorter window or a later since');
      const bucketMs = s.metrics.bucketMs;
      const auto = Math.ceil((now - from) / TARGET_POINTS / bucketMs) * bucketMs;
      const step = req.query.step !== undefined ? parseDuration(req.query.step) : auto;
      if (step < bucketMs || step % bucketMs !== 0) throw appError('invalid_request', `step must be a multiple of the telemetry bucket (${bucketMs / 1000}s), e.g. ${bucketMs / 1000}s or 1m`);
      if ((now - from) / step > MAX_POINTS) throw appError('invalid_request', `that window and step give more than ${MAX_POINTS} points per variant; use a larger step`);
      const points = await s.metrics.series(model.name, from, now + bucketMs, step, now);
      return { model: model.name, from, to: now, step_ms: step, points: points.map(seriesPointView) };
    },
  );

  app.get('/v1/stream', { schema: { response: StreamResponse } }, async (_req, reply) => {
    feed.checkCapacity();
    reply.hijack();
    feed.attach(reply.raw);
  });
}
