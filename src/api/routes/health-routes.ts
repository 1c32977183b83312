import type { FastifyInstance } from 'fastify';
import type { ApiServices } from '../services.js';

export function healthRoutes(app: FastifyInstance, s: ApiServices): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const { ready, problems } = s.predictions.ready();
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', problems });
  });
}
