import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { appError, parseVariant, type FaultTarget } from '../../domain/index.js';
import { toFaultConfig } from '../../registry/index.js';
import { ModelParams } from '../schemas.js';
import type { ApiServices } from '../services.js';
import { ModelFaults } from '../reply-schemas.js';
import { faultsView } from '../views.js';

const FaultBody = Type.Object(
  {
    variant: Type.Optional(Type.String({ maxLength: 20 })),
    wrong: Type.Optional(Type.Number()),
    delay_ms: Type.Optional(Type.Union([Type.Number(), Type.Array(Type.Number(), { minItems: 2, maxItems: 2 })])),
    errors: Type.Optional(Type.Number()),
    clear: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export function faultRoutes(app: FastifyInstance, s: ApiServices): void {
  app.get<{ Params: { name: string } }>('/v1/models/:name/faults', { schema: { params: ModelParams, response: { 200: ModelFaults } } }, async (req) => {
    await s.registry.get(req.params.name);
    return { model: req.params.name, faults: faultsView(s.settings.get(req.params.name)) };
  });

  /**
   * Injects faults into one variant (replacing what it had): `{"variant": "canary", "wrong": 0.4,
   * "delay_ms": [10, 30], "errors": 0.05}`; `{"clear": true}` clears all, `{"variant", "clear"}` one.
   */
  app.post<{ Params: { name: string }; Body: Static<typeof FaultBody> }>(
    '/v1/models/:name/faults',
    { schema: { params: ModelParams, body: FaultBody, response: { 200: ModelFaults } } },
    async (req) => {
      const name = req.params.name;
      await s.registry.get(name);
      const b = req.body;
      const setsSomething = b.wrong !== undefined || b.delay_ms !== undefined || b.errors !== undefined;
      if (b.clear === true && setsSomething) throw appError('invalid_request', 'send either clear or fault settings, not both');
      if (b.clear === true && b.variant === undefined) {
        const settings = await s.settings.clearFaults(name);
        req.log.info({ model: name }, 'faults cleared');
        return { model: name, faults: faultsView(settings) };
      }
      if (b.variant === undefined) throw appError('invalid_request', 'name the variant to inject into: {"variant": "canary", "wrong": 0.4}');
      const variant: FaultTarget = b.variant.trim().toLowerCase() === 'shadow' ? 'shadow' : parseVariant(b.variant);
      if (b.clear === true || !setsSomething) {
        const settings = await s.settings.setFault(name, variant, null);
        return { model: name, faults: faultsView(settings) };
      }
      // The schema holds delay_ms to exactly two numbers when it is a range.
      const delayMs = Array.isArray(b.delay_ms) ? ([b.delay_ms[0]!, b.delay_ms[1]!] as const) : b.delay_ms;
      const fault = toFaultConfig({ wrongRate: b.wrong, delayMs, errorRate: b.errors });
      const settings = await s.manual.setFault(name, variant, fault);
      req.log.info({ model: name, variant, fault }, 'fault injection changed');
      return { model: name, faults: faultsView(settings) };
    },
  );
}
