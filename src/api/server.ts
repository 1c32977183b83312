import Fastify, { LogController, type FastifyInstance } from 'fastify';
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
  predictRoutes(app, s);
  metricsRoutes(app, s);
  feedbackRoutes(app, s);
  faultRoutes(app, s);
  labRoutes(app, s);
  takehomeRoutes(app, s);
  rolloutRoutes(app, s);
  const feed = new LiveFeed(s, logger, { tickMs: s.config.streamTickMs, maxClients: s.config.maxStreams });
  streamRoutes(app, s, feed);
  // Open streams are never idle: end them first, or close() would wait for every dashboard tab.
  app.addHook('preClose', (done) => {
    feed.close();
    done();
  });
  dashboardRoutes(app, s.config.dashboardDir);
  return app;
}
