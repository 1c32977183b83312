import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { badRequest, hasFaults, percentToBasisPoints } from '../../domain/index.js';
import { toFaultConfig } from '../../registry/index.js';
import { resetExperiment } from '../reset-experiment.js';
import type { ApiServices } from '../services.js';

/** The lab's "simulate failure": the canary answers wrong 40% of the time. */
export const LAB_FAILURE = toFaultConfig({ wrongRate: 0.4 });

const NumberParam = Type.Object({ n: Type.String({ maxLength: 20 }) });
const FlagParam = Type.Object({ flag: Type.String({ maxLength: 5 }) });

/** The routes of the canary lab (seeds 000/001), on the default model. */
export function labRoutes(app: FastifyInstance, s: ApiServices): void {
  const model = () => s.config.defaultModel;

  app.post('/check_rollback', async (req) => {
    const result = await s.checks.checkRollback(model());
    if (result.rollback_triggered) req.log.info({ model: model(), reason: result.reason, alert: result.alert }, 'lab rollback check rolled the canary back');
    return result;
  });

  app.post<{ Params: { n: string } }>('/set_canary/:n', { schema: { params: NumberParam } }, async (req) => {
    const pct = Number(req.params.n);
    if (req.params.n.trim() === '' || !Number.isFinite(pct)) throw badRequest('invalid_weight', `"${req.params.n}" is not a percentage: use /set_canary/20`);
    const m = await s.registry.setWeight(model(), percentToBasisPoints(pct));
    return { canary_percentage: m.routing.canaryWeightBp / 100, message: `canary now gets ${m.routing.canaryWeightBp / 100}% of traffic` };
  });

  app.post<{ Params: { flag: string } }>('/simulate_failure/:flag', { schema: { params: FlagParam } }, async (req) => {
    const on = req.params.flag === '1' || req.params.flag === 'true';
    if (!on && req.params.flag !== '0' && req.params.flag !== 'false') throw badRequest('invalid_request', 'use /simulate_failure/1 to turn failure on and /simulate_failure/0 to turn it off');
    await s.registry.get(model());
    const settings = await s.settings.setFault(model(), 'canary', on ? LAB_FAILURE : null);
    return {
      simulate_failure: hasFaults(settings.faults.canary),
      message: on ? 'failure simulation on: the canary answers wrong 40% of the time' : 'failure simulation off',
    };
  });

  app.post('/reset', async () => {
    const m = await resetExperiment(s, model());
    return {
      message: 'metrics cleared, faults off, canary weight back to the default',
      canary_percentage: m.routing.canaryVersion === null ? 0 : m.routing.canaryWeightBp / 100,
      canary_version: m.routing.canaryVersion,
      stable_version: m.routing.stableVersion,
    };
  });
}
