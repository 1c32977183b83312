import { appError, isTerminal, type BasisPoints, type ExternalRouting, type FaultConfig, type FaultTarget, type Model, type ModelSettings, type Rollout, type TrafficSpec } from '../domain/index.js';
import type { ModelRegistry, ModelSettingsService } from '../registry/index.js';
import type { RolloutController, TrafficRouter } from '../rollout/index.js';

type Operation = 'weight' | 'deploy' | 'promote' | 'reset';

const WHAT: Record<Operation, string> = {
  weight: 'a manual weight change',
  deploy: 'a manual deploy',
  promote: 'a manual promote',
  reset: 'a reset',
};

const INSTEAD: Record<Operation, string> = {
  weight: 'coalmine rollout promote (next step), rollout pause, or rollout abort',
  deploy: 'coalmine rollout abort, then deploy',
  promote: 'coalmine rollout promote --full',
  reset: 'coalmine rollout abort, then reset',
};

/**
 * What an operator does by hand (the CLI, the labs' and take-home's routes), against what an
 * active rollout does by itself. A rollback always wins: it aborts the rollout, which rolls the
 * canary back and records it in the rollout's history. Anything else the rollout would undo on
 * its next pass, so it is refused with the rollout command to use instead.
 */
export class ManualRouting {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly rollouts: RolloutController,
    private readonly settings: ModelSettingsService,
    /** The proxy's router for a model set to external routing (docs/controller.md). */
    private readonly externalRouter: (model: string, traffic: TrafficSpec) => TrafficRouter,
  ) {}

  /** The model's proxy, when its traffic is routed elsewhere: every change goes through it (proxy first, then the record). */
  private proxy(model: string): TrafficRouter | null {
    const external = this.settings.get(model).external;
    return external ? this.externalRouter(model, external.traffic) : null;
  }

  /** Puts a model's traffic in a proxy's hands: the proxy is set to the model's current routing first, and only then is the setting saved. */
  async setExternal(model: string, external: ExternalRouting | null): Promise<ModelSettings> {
    const r = await this.active(model);
    if (r) throw appError('rollout_active', `model "${model}" is in rollout ${r.id.slice(0, 8)}; change its external routing once the rollout has finished (or after coalmine rollout abort)`);
    if (external) {
      const routing = (await this.registry.get(model)).routing;
      // A proxy-split model's requests never reach coalmine: its shadow would see none.
      if (routing.shadow) throw appError('conflict', `model "${model}" has shadow v${routing.shadow.version} running, which needs coalmine in the data path; stop it first (coalmine shadow stop)`);
      const router = this.externalRouter(model, external.traffic);
      if (routing.canaryVersion === null) await router.clear(model, 'external routing set');
      else await router.apply(model, routing.canaryVersion, routing.canaryWeightBp, 'external routing set');
    }
    return this.settings.setExternal(model, external);
  }

  /** Faults go to a variant that exists: a canary fault with no canary would wait for, and hit, the next one. */
  async setFault(model: string, variant: FaultTarget, fault: FaultConfig | null): Promise<ModelSettings> {
    const m = await this.registry.get(model);
    if (fault !== null && variant === 'shadow' && m.routing.shadow === null) {
      throw appError('no_shadow', `model "${model}" has no shadow to inject faults into; start one first (coalmine shadow start <version>)`);
    }
    if (fault !== null && variant === 'canary' && m.routing.canaryVersion === null) {
      throw appError('no_canary', `model "${model}" has no canary to inject faults into; deploy one first (coalmine deploy <version>)`);
    }
    return this.settings.setFault(model, variant, fault);
  }

  private async active(model: string): Promise<Rollout | null> {
    const r = await this.rollouts.latest(model);
    return r && !isTerminal(r.phase) ? r : null;
  }

  private async refuseDuringRollout(model: string, op: Operation): Promise<void> {
    const r = await this.active(model);
    if (!r) return;
    const step = r.spec.steps[r.stepIndex];
    const where = step ? `, step ${r.stepIndex + 1}/${r.spec.steps.length} at ${step.weightBp / 100}%` : '';
    throw appError('rollout_active', `model "${model}" is in rollout ${r.id.slice(0, 8)} (v${r.spec.canaryVersion}, ${r.phase.replace('_', ' ')}${where}), which would undo ${WHAT[op]}; use ${INSTEAD[op]}`);
  }

  async setWeight(model: string, weightBp: BasisPoints): Promise<Model> {
    await this.refuseDuringRollout(model, 'weight');
    return this.weigh(model, weightBp);
  }

  private async weigh(model: string, weightBp: BasisPoints): Promise<Model> {
    const proxy = this.proxy(model);
    const canary = (await this.registry.get(model)).routing.canaryVersion;
    // Without a canary the registry's own refusal (no_canary) says what to do.
    if (!proxy || canary === null) return this.registry.setWeight(model, weightBp);
    await proxy.apply(model, canary, weightBp, 'manual weight change');
    return this.registry.get(model);
  }

  async deploy(model: string, version: number, weightBp: BasisPoints): Promise<Model> {
    await this.refuseDuringRollout(model, 'deploy');
    const proxy = this.proxy(model);
    if (!proxy) return this.registry.deploy(model, version, weightBp);
    await proxy.check(model, version);
    await proxy.apply(model, version, weightBp, 'manual deploy');
    return this.registry.get(model);
  }

  async promote(model: string): Promise<Model> {
    await this.refuseDuringRollout(model, 'promote');
    const proxy = this.proxy(model);
    const canary = (await this.registry.get(model)).routing.canaryVersion;
    if (!proxy || canary === null) return this.registry.promote(model);
    await proxy.promote(model, canary, 'manual promote');
    return this.registry.get(model);
  }

  /**
   * Starts an experiment over (the native and the lab's reset): faults clear first, so the restored
   * canary starts clean; routing is reset (the canary back at the default weight); metrics restart
   * exactly at the routing revision the reset created. Refused during a rollout before anything
   * changes, so a refused reset clears nothing.
   */
  async reset(model: string): Promise<Model> {
    await this.registry.get(model);
    await this.refuseDuringRollout(model, 'reset');
    await this.settings.clearFaults(model);
    let m = await this.registry.reset(model);
    const proxy = this.proxy(model);
    if (proxy) {
      // The record moved first here (a reset is the registry's own rule); the proxy follows it.
      if (m.routing.canaryVersion === null) await proxy.clear(model, 'reset');
      else await proxy.apply(model, m.routing.canaryVersion, m.routing.canaryWeightBp, 'reset');
      m = await this.registry.get(model);
    }
    await this.settings.markReset(model, m.routing.revision);
    return m;
  }

  /** Rolls the canary back; during a rollout, by aborting it (its history says who and why). */
  async rollback(model: string, reason: string): Promise<{ model: Model; abortedRollout: string | null }> {
    const r = await this.active(model);
    if (!r) {
      const proxy = this.proxy(model);
      if (!proxy || (await this.registry.get(model)).routing.canaryVersion === null) return { model: await this.registry.rollback(model, reason), abortedRollout: null };
      await proxy.clear(model, reason);
      return { model: await this.registry.get(model), abortedRollout: null };
    }
    if (r.phase === 'promoting') throw appError('conflict', `rollout ${r.id.slice(0, 8)} of "${model}" is already promoting v${r.spec.canaryVersion} to stable; roll back after it has finished by deploying the previous version`);
    await this.rollouts.command(model, 'abort', reason);
    return { model: await this.registry.get(model), abortedRollout: r.id };
  }

  /** The lab's rollback: the canary's weight to 0 (it stays deployed); during a rollout, an abort. */
  async zeroCanary(model: string, reason: string): Promise<void> {
    if (await this.active(model)) await this.rollback(model, reason);
    else await this.weigh(model, 0);
  }
}
