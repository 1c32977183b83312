import type { FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Type, type Static } from 'typebox';
import { appError, hasFaults } from '../../domain/index.js';
import { toFaultConfig } from '../../registry/index.js';
import { resolveModelReference } from '../model-path.js';
import { TakehomeDeployReply, TakehomeHealthReply, TakehomePromoteReply, TakehomeRollbackReply, TakehomeSlowdownReply } from '../reply-schemas.js';
import type { ApiServices } from '../services.js';
import { verdictView } from '../../analysis/index.js';

/** The take-home deploys its canary at 10% (seed 002), whatever coalmine's own default. */
export const TAKEHOME_CANARY_WEIGHT_BP = 1000;

/** The take-home's "slowdown": about +10 ms on the canary (its README shows 15 → 26 ms). */
export const TAKEHOME_SLOWDOWN = toFaultConfig({ delayMs: [8, 14] });

const DeployBody = Type.Object({ model_path: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false });

/** The admin routes of the take-home project (seed 002), on the default model. */
export function takehomeRoutes(app: FastifyInstance, s: ApiServices): void {
  const name = () => s.config.defaultModel;
  const modelsDir = () => join(s.config.dataDir, 'models');

  app.post<{ Body: Static<typeof DeployBody> }>('/admin/deploy-canary', { schema: { body: DeployBody, response: { 200: TakehomeDeployReply } } }, async (req) => {
    const ref = resolveModelReference(req.body.model_path, modelsDir());
    let model = name();
    let version: number;
    if (ref.kind === 'registry') {
      model = ref.model;
      version = (await s.registry.version(model, ref.version)).version;
    } else {
      const bytes = await readFile(ref.path);
      const existing = (await s.registry.get(model)).versions.find((v) => v.source.kind === 'onnx' && v.source.sha256 === sha256(bytes));
      version = existing ? existing.version : (await s.registry.register(model, bytes, { source: `admin/deploy-canary ${basename(ref.path)}`, description: basename(ref.path) })).version;
    }
    const deployed = await s.manual.deploy(model, version, TAKEHOME_CANARY_WEIGHT_BP);
    req.log.info({ model, version, model_path: req.body.model_path }, 'canary deployed (take-home route)');
    return {
      status: 'success',
      message: 'Canary model deployed successfully',
      model_path: req.body.model_path,
      model,
      version,
      canary_percentage: deployed.routing.canaryWeightBp / 100,
      canary_start_time: deployed.routing.updatedAt,
    };
  });

  app.post('/admin/rollback-canary', { schema: { response: { 200: TakehomeRollbackReply } } }, async () => {
    const { model: m, abortedRollout } = await s.manual.rollback(name(), 'admin/rollback-canary');
    const aborted = abortedRollout ? `; rollout ${abortedRollout.slice(0, 8)} aborted` : '';
    return { status: 'success', message: `Canary rolled back successfully${aborted}`, stable_version: m.routing.stableVersion, aborted_rollout: abortedRollout };
  });

  app.get('/admin/check-canary-health', { schema: { response: { 200: TakehomeHealthReply } } }, async () => {
    const health = await s.checks.checkHealth(name());
    return { ...health, verdict: verdictView(health.verdict) };
  });

  app.post('/admin/promote-canary', { schema: { response: { 200: TakehomePromoteReply } } }, async () => {
    const before = await s.registry.get(name());
    if (before.routing.canaryVersion === null) {
      throw appError('invalid_request', `model "${name()}" has no canary deployed; deploy one with POST /admin/deploy-canary first`);
    }
    const m = await s.manual.promote(name());
    const file = (v: number) => `${m.name}@${v}`;
    return {
      status: 'success',
      message: 'Canary promoted to stable successfully',
      previous_stable_model: file(before.routing.stableVersion),
      new_stable_model: file(m.routing.stableVersion),
      previous_stable_version: before.routing.stableVersion,
      new_stable_version: m.routing.stableVersion,
    };
  });

  app.post('/admin/toggle-slowdown', { schema: { response: { 200: TakehomeSlowdownReply } } }, async () => {
    const model = await s.registry.get(name());
    // With no canary there is nothing to slow down: the toggle can only be off (the take-home
    // turns it off after its rollback, and a rollback clears the canary's faults already).
    if (model.routing.canaryVersion === null) return { simulate_slowdown: false, message: 'Slowdown simulation disabled (no canary is deployed to slow down)' };
    const on = !hasFaults(s.settings.get(name()).faults.canary);
    await s.manual.setFault(name(), 'canary', on ? TAKEHOME_SLOWDOWN : null);
    return { simulate_slowdown: on, message: on ? 'Slowdown simulation enabled' : 'Slowdown simulation disabled' };
  });
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
