import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { appError, hasFaults, percentToBasisPoints } from '../../domain/index.js';
import { toFaultConfig } from '../../registry/index.js';
import { LabFailureReply, LabResetReply, LabRollbackCheck, LabWeightReply } from '../reply-schemas.js';
import type { ApiServices } from '../services.js';
import { verdictView } from '../../analysis/index.js';

/** The lab's "simulate failure": the canary answers wrong 40% of the time. */
export const LAB_FAILURE = toFaultConfig({ wrongRate: 0.4 });

const NumberParam = Type.Object({ n: Type.String({ maxLength: 20 }) });
const FlagParam = Type.Object({ flag: Type.String({ maxLength: 5 }) });

/** The routes of the canary lab (seeds 000/001), on the default model. */
export function labRoutes(app: FastifyInstance, s: ApiServices): void {
  const model = () => s.config.defaultModel;

  app.post('/check_rollback', { schema: { response: { 200: LabRollbackCheck } } }, async (req) => {
    const result = await s.checks.checkRollback(model(), (name, reason) => s.manual.zeroCanary(name, reason));
    if (result.rollback_triggered) req.log.info({ model: model(), reason: result.reason, alert: result.alert }, 'lab rollback check rolled the canary back');
    return { ...result, verdicts: result.verdicts.map(verdictView) };
  });

  app.post<{ Params: { n: string } }>('/set_canary/:n', { schema: { params: NumberParam, response: { 200: LabWeightReply } } }, async (req) => {
    // Plain decimals only: Number() would also read "0x10" as 16, "1e2" as 100 and " 5" as 5.
    if (!/^[0-9]{1,3}(\.[0-9]{1,2})?$/.test(req.params.n)) throw appError('invalid_weight', `"${req.params.n}" is not a percentage from 0 to 100 with at most two decimals: use /set_canary/20 or /set_canary/12.5`);
    const m = await s.manual.setWeight(model(), percentToBasisPoints(Number(req.params.n)));
    return { canary_percentage: m.routing.canaryWeightBp / 100, message: `canary now gets ${m.routing.canaryWeightBp / 100}% of traffic` };
  });

  app.post<{ Params: { flag: string } }>('/simulate_failure/:flag', { schema: { params: FlagParam, response: { 200: LabFailureReply } } }, async (req) => {
    const on = req.params.flag === '1' || req.params.flag === 'true';
    if (!on && req.params.flag !== '0' && req.params.flag !== 'false') throw appError('invalid_request', 'use /simulate_failure/1 to turn failure on and /simulate_failure/0 to turn it off');
    const settings = await s.manual.setFault(model(), 'canary', on ? LAB_FAILURE : null);
    return {
      simulate_failure: hasFaults(settings.faults.canary),
      message: on ? 'failure simulation on: the canary answers wrong 40% of the time' : 'failure simulation off',
    };
  });

  app.post('/reset', { schema: { response: { 200: LabResetReply } } }, async () => {
    const m = await s.manual.reset(model());
    return {
      message: 'metrics cleared, faults off, canary weight back to the default',
      canary_percentage: m.routing.canaryVersion === null ? 0 : m.routing.canaryWeightBp / 100,
      canary_version: m.routing.canaryVersion,
      stable_version: m.routing.stableVersion,
    };
  });
}
