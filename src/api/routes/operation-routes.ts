import type { FastifyInstance, FastifyRequest } from 'fastify';
import { appError, fractionsToCanaryBasisPoints, percentToBasisPoints } from '../../domain/index.js';
import { parseVersion } from '../parse-params.js';
import { DeployBody, ModelParams, RollbackBody, TrafficBody } from '../schemas.js';
import type { ApiServices } from '../services.js';
import { ModelView } from '../reply-schemas.js';
import { modelView } from '../views.js';

type Named = FastifyRequest<{ Params: { name: string } }>;

/** Admin operations on a model's routing; each is persisted before the reply is sent. */
export function operationRoutes(app: FastifyInstance, s: ApiServices): void {
  const params = { params: ModelParams, response: { 200: ModelView } };
  const logChange = (req: Named, action: string, detail: object) => req.log.info({ model: req.params.name, action, ...detail }, 'routing changed');

  app.put<{ Params: { name: string }; Body: TrafficBody }>(
    '/v1/models/:name/traffic',
    { schema: { ...params, body: TrafficBody } },
    async (req) => {
      const { canary_weight: pct, weights } = req.body;
      if ((pct === undefined) === (weights === undefined)) {
        throw appError('invalid_weight', 'send either {"canary_weight": <percent 0-100>} or {"weights": {"stable": 0.9, "canary": 0.1}}');
      }
      const bp = pct !== undefined ? percentToBasisPoints(pct) : fractionsToCanaryBasisPoints(weights!);
      const model = await s.manual.setWeight(req.params.name, bp);
      logChange(req, 'set_weight', { canary_weight: bp / 100 });
      return modelView(model, s.versions, s.settings.get(model.name));
    },
  );

  app.post<{ Params: { name: string }; Body: DeployBody }>(
    '/v1/models/:name/deploy',
    { schema: { ...params, body: DeployBody } },
    async (req) => {
      const version = parseVersion(req.body.version, req.params.name);
      const bp = req.body.weight === undefined ? s.config.deployCanaryWeightBp : percentToBasisPoints(req.body.weight);
      const model = await s.manual.deploy(req.params.name, version, bp);
      logChange(req, 'deploy', { version, canary_weight: bp / 100 });
      return modelView(model, s.versions, s.settings.get(model.name));
    },
  );

  app.post<{ Params: { name: string } }>('/v1/models/:name/promote', { schema: params }, async (req) => {
    const model = await s.manual.promote(req.params.name);
    logChange(req, 'promote', { stable_version: model.routing.stableVersion });
    return modelView(model, s.versions, s.settings.get(model.name));
  });

  app.post<{ Params: { name: string }; Body: { reason?: string } | null }>(
    '/v1/models/:name/rollback',
    { schema: { ...params, body: RollbackBody } },
    async (req) => {
      const { model, abortedRollout } = await s.manual.rollback(req.params.name, req.body?.reason ?? 'manual rollback');
      logChange(req, 'rollback', { reason: req.body?.reason ?? 'manual', aborted_rollout: abortedRollout });
      return modelView(model, s.versions, s.settings.get(model.name));
    },
  );

  app.post<{ Params: { name: string } }>('/v1/models/:name/reset', { schema: params }, async (req) => {
    const model = await s.manual.reset(req.params.name);
    logChange(req, 'reset', { canary_version: model.routing.canaryVersion });
    return modelView(model, s.versions, s.settings.get(model.name));
  });
}
