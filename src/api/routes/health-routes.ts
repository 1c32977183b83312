import type { FastifyInstance } from 'fastify';
import { Health, Readiness } from '../reply-schemas.js';
import type { ApiServices } from '../services.js';

export function healthRoutes(app: FastifyInstance, s: ApiServices): void {
  app.get('/healthz', { schema: { response: { 200: Health } } }, async () => {
    const link = s.state();
    return { status: 'ok' as const, state: { store: link.store, connected: link.connected, since: new Date(link.since).toISOString(), error: link.error }, controller: s.drivesRollouts(), pid: process.pid };
  });

  app.get('/readyz', { schema: { response: { 200: Readiness, 503: Readiness } } }, async (_req, reply) => {
    const { ready, problems } = s.predictions.ready();
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', problems });
  });
}
