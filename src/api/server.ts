import rateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { AppError } from '../domain/index.js';
import type { Logger } from 'pino';
import { installAuth } from './auth.js';
import { limitConnectionsPerClient } from './connection-limits.js';
import { clientErrorHandler, errorPayload, installErrorHandling, type Limits } from './error-handler.js';
import { installOpenApi, openApiRoute } from './openapi.js';
import { installRequestGuards } from './request-guards.js';
import { installUploads } from './uploads.js';
import { lazyChildLoggerFactory } from './lazy-child-logger.js';
import { LiveFeed } from './live-feed.js';
import { dashboardRoutes } from './routes/dashboard-routes.js';
import { faultRoutes } from './routes/fault-routes.js';
import { feedbackRoutes } from './routes/feedback-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { labRoutes } from './routes/lab-routes.js';
import { metricsRoutes } from './routes/metrics-routes.js';
import { modelRoutes } from './routes/model-routes.js';
import { operationRoutes } from './routes/operation-routes.js';
import { externalRoutingRoutes } from './routes/external-routing-routes.js';
import { openInferenceRoutes } from './routes/open-inference-routes.js';
import { predictRoutes } from './routes/predict-routes.js';
import { rolloutRoutes } from './routes/rollout-routes.js';
import { shadowRoutes } from './routes/shadow-routes.js';
import { streamRoutes } from './routes/stream-routes.js';
import { takehomeRoutes } from './routes/takehome-routes.js';
import type { ApiServices } from './services.js';

export function buildServer(s: ApiServices, logger: Logger): FastifyInstance {
  const limits: Limits = { bodyLimitBytes: s.config.bodyLimitBytes, uploadLimitBytes: s.config.uploadLimitBytes, requestTimeoutMs: s.config.requestTimeoutMs };
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: s.config.bodyLimitBytes,
    // Per-request access logs would cost more than a prediction; state changes are logged instead.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyChildLoggerFactory,
    // Strict validation: never coerce "1.5" into 1.5 or drop unknown fields silently.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    return503OnClosing: true,
    // Errors the router raises before any route runs (bad URL encoding, an over-long parameter)
    // get the same error shape as everything else.
    frameworkErrors: (err, req, reply: FastifyReply) => {
      if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') void reply.status(414).send(errorPayload(req.url, 'path_too_long', 'a path segment is longer than 100 characters; model names are at most 64'));
      else void reply.status(400).send(errorPayload(req.url, 'invalid_request', `the URL is not valid: ${err.message}`));
    },
    forceCloseConnections: 'idle',
    // Node's whole-request deadline (headers and body); Fastify turns it off by default, which let
    // a client that stops mid-body hold its socket forever.
    requestTimeout: s.config.requestTimeoutMs,
    // Node checks the deadlines on this interval (30 s by default, which would double the timeout).
    http: { headersTimeout: Math.min(60_000, s.config.requestTimeoutMs), connectionsCheckingInterval: Math.min(5000, Math.max(250, s.config.requestTimeoutMs / 4)) },
    clientErrorHandler: clientErrorHandler(limits),
  }) as unknown as FastifyInstance;

  // Text and form bodies are what a cross-site page can send without a CORS preflight: never read them.
  app.removeContentTypeParser('text/plain');
  let lastRefusalLog = 0;
  limitConnectionsPerClient(app.server, s.config.maxConnectionsPerClient, (address) => {
    // At most one line every 10 s: a flood of refusals must not become a flood of logs.
    if (Date.now() - lastRefusalLog < 10_000) return;
    lastRefusalLog = Date.now();
    logger.warn({ address, max: s.config.maxConnectionsPerClient }, 'connections refused: too many open connections from one client (COALMINE_MAX_CONNECTIONS_PER_CLIENT)');
  });
  installErrorHandling(app, limits);
  installOpenApi(app);
  installRequestGuards(app, { allowedHosts: s.config.allowedHosts, listenHost: s.config.host });
  installAuth(app, { token: s.adminToken, protectReads: s.config.protectReads });
  // A replica cut off from the shared database refuses changes at once, rather than after a
  // connect timeout, and says why; predictions go on with the routing it has. Attached to the
  // admin routes that change state alone, so no prediction pays for the check.
  const refuseWhileCutOff = (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
    const link = s.state();
    if (link.connected || req.method === 'GET' || req.method === 'HEAD') return done();
    done(
      new AppError('store_unavailable', `this replica cannot reach the shared database (since ${new Date(link.since).toISOString()}: ${link.error ?? 'no answer'}), so it cannot save the change; it keeps serving predictions on its last routing. Retry once the database is back`),
    );
  };
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (route.config?.access !== 'admin' || methods.every((m) => m === 'GET' || m === 'HEAD')) return;
    const own = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
    route.preHandler = [refuseWhileCutOff, ...own];
  });
  const feed = new LiveFeed(s, logger, { tickMs: s.config.streamTickMs, maxClients: s.config.maxStreams });
  // Every route in one plugin registered after the OpenAPI collector, so it sees them all.
  void app.register(async (api) => {
    openApiRoute(api);
    healthRoutes(api, s);
    // ONNX uploads in their own scope: only the model routes read an octet-stream body (any other
    // route refuses it with a 415 before reading it), and only their requests pay for the upload
    // hooks (a close listener and a response hook per request).
    void api.register(async (models) => {
      installUploads(models, { files: s.files, limitBytes: s.config.uploadLimitBytes, maxConcurrent: s.config.maxConcurrentUploads });
      modelRoutes(models, s);
    });
    operationRoutes(api, s);
    externalRoutingRoutes(api, s);
    // Predict routes in their own scope, so an optional per-client limit applies to them alone.
    void api.register(async (scope) => {
      const limit = s.config.rateLimitPerSecond;
      if (limit !== null) {
        await scope.register(rateLimit, {
          global: true,
          max: limit,
          timeWindow: 1000,
          errorResponseBuilder: (req, ctx) =>
            new AppError('rate_limited', `more than ${ctx.max} predictions per second from ${req.ip}; retry in ${Math.max(1, Math.ceil(ctx.ttl / 1000))} s, or raise COALMINE_RATE_LIMIT`),
        });
      }
      predictRoutes(scope, s);
      openInferenceRoutes(scope, s);
    });
    metricsRoutes(api, s);
    feedbackRoutes(api, s);
    faultRoutes(api, s);
    labRoutes(api, s);
    takehomeRoutes(api, s);
    rolloutRoutes(api, s);
    shadowRoutes(api, s);
    streamRoutes(api, s, feed);
    dashboardRoutes(api, s.config.dashboardDir);
  });
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
  return app;
}
