import rateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify';
import { AppError } from '../domain/index.js';
import type { Logger } from 'pino';
import { installAuth } from './auth.js';
import { installErrorHandling } from './error-handler.js';
import { LiveFeed } from './live-feed.js';
import { dashboardRoutes } from './routes/dashboard-routes.js';
import { faultRoutes } from './routes/fault-routes.js';
import { feedbackRoutes } from './routes/feedback-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { labRoutes } from './routes/lab-routes.js';
import { metricsRoutes } from './routes/metrics-routes.js';
import { modelRoutes } from './routes/model-routes.js';
import { operationRoutes } from './routes/operation-routes.js';
import { predictRoutes } from './routes/predict-routes.js';
import { rolloutRoutes } from './routes/rollout-routes.js';
import { streamRoutes } from './routes/stream-routes.js';
import { takehomeRoutes } from './routes/takehome-routes.js';
import type { ApiServices } from './services.js';

const ONNX_TYPES = ['application/octet-stream', 'application/x-onnx', 'application/onnx'];

export function buildServer(s: ApiServices, logger: Logger): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: s.config.bodyLimitBytes,
    // Per-request access logs would cost more than a prediction; state changes are logged instead.
    logController: new LogController({ disableRequestLogging: true }),
    // Strict validation: never coerce "1.5" into 1.5 or drop unknown fields silently.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    return503OnClosing: true,
    // Errors the router raises before any route runs (bad URL encoding, an over-long parameter)
    // get the same error shape as everything else.
    frameworkErrors: (err, _req, reply: FastifyReply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const message = tooLong ? 'a path segment is longer than 100 characters; model names are at most 64' : `the URL is not valid: ${err.message}`;
      void reply.status(tooLong ? 414 : 400).send({ error: { code: 'invalid_request', message } });
    },
    forceCloseConnections: 'idle',
  }) as unknown as FastifyInstance;

  app.addContentTypeParser(ONNX_TYPES, { parseAs: 'buffer', bodyLimit: s.config.uploadLimitBytes }, (_req, body, done) => {
    done(null, body);
  });

  installErrorHandling(app, s.config.bodyLimitBytes);
  installAuth(app, { token: s.adminToken, protectReads: s.config.protectReads });
  healthRoutes(app, s);
  modelRoutes(app, s);
  operationRoutes(app, s);
  // Predict routes in their own scope, so an optional per-client limit applies to them alone.
  void app.register(async (scope) => {
    const limit = s.config.rateLimitPerSecond;
    if (limit !== null) {
      await scope.register(rateLimit, {
        global: true,
        max: limit,
        timeWindow: 1000,
        errorResponseBuilder: (req, ctx) =>
          new AppError('rate_limited', 429, `more than ${ctx.max} predictions per second from ${req.ip}; retry in ${Math.max(1, Math.ceil(ctx.ttl / 1000))} s, or raise COALMINE_RATE_LIMIT`),
      });
    }
    predictRoutes(scope, s);
  });
  metricsRoutes(app, s);
  feedbackRoutes(app, s);
  faultRoutes(app, s);
  labRoutes(app, s);
  takehomeRoutes(app, s);
  rolloutRoutes(app, s);
  const feed = new LiveFeed(s, logger, { tickMs: s.config.streamTickMs, maxClients: s.config.maxStreams });
  streamRoutes(app, s, feed);
  // Open streams are never idle: end them first, or close() would wait for every dashboard tab.
  // Replies sent while closing ask the client to close its keep-alive connection, so a
  // connection busy at SIGTERM does not hold the shutdown for the keep-alive timeout (72 s).
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    feed.close();
    done();
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  dashboardRoutes(app, s.config.dashboardDir);
  return app;
}
