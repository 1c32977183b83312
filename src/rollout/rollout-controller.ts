import { randomUUID } from 'node:crypto';
import { assess } from '../analysis/index.js';
import { AppError, isTerminal, KeyedMutex, appError, type Phase, type Rollout } from '../domain/index.js';
import { throttledWarning } from './throttled-warning.js';
import { bindAnalysis, defaultAnalysis, type DefaultAnalysisOptions, type MetricWindow, type VariantPair } from '../metrics/index.js';
import type { NewNotification, RolloutStore } from '../store/index.js';
import { decisionView } from './decision-view.js';
import { parseRolloutSpec } from './rollout-spec.js';
import type { TrafficRouter } from './traffic-router.js';
import { desiredRouting, transition, type AnalysisResult, type RolloutEffect, type RolloutEvent } from './transition.js';
import type { SenderLogger, WebhookSender } from './webhook-sender.js';

/** Where a step's measurements come from: coalmine's telemetry (MetricsReader), or a fake in tests. */
export interface StepMetrics {
  read(model: string, window: MetricWindow): Promise<VariantPair>;
}

/** Why a version cannot take traffic now (its model server is not ready), or undefined when it can. */
export type VersionHealth = (model: string, version: number) => string | undefined;

export interface RolloutControllerOptions {
  readonly store: RolloutStore;
  /** Checked before every analysis; absent: every version counts as healthy. */
  readonly health?: VersionHealth;
  readonly router: TrafficRouter;
  readonly metrics: StepMetrics;
  readonly thresholds: DefaultAnalysisOptions;
  readonly webhooks?: WebhookSender;
  readonly now?: () => number;
  readonly log: SenderLogger;
  readonly onPhase?: (model: string, phase: Phase) => void;
  /** Every saved change (steps, decisions, phases): for live views. */
  readonly onChange?: (rollout: Rollout) => void;
}

/** Manual commands, as the API and CLI name them. */
export type RolloutCommand = 'pause' | 'resume' | 'promote' | 'promote-full' | 'abort' | 'retry';

function notifications(r: Rollout, effects: readonly RolloutEffect[]): NewNotification[] {
  const out: NewNotification[] = [];
  for (const e of effects) {
    if (e.type !== 'notify') continue;
    const payload = JSON.stringify({ event: 'rollout.phase_changed', rollout_id: r.id, model: r.model, from: e.from, to: e.to, at: e.decision.at, step: e.decision.step + 1, weight: e.decision.weightBp / 100, decision: decisionView(e.decision) });
    for (const url of r.spec.webhooks) out.push({ url, payload });
  }
  return out;
}

/**
 * Runs progressive rollouts. Every change goes through transition() and is saved (with a
 * revision check) before its effects are carried out; `reconcile` is a flat list of idempotent
 * steps that brings routing in line with the saved state, so a crash at any point is repaired by
 * the next pass, and bake times continue from when they began.
 */
export class RolloutController {
  private readonly mutex = new KeyedMutex();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private readonly unreachable: (obj: object, msg: string) => void;

  constructor(private readonly opts: RolloutControllerOptions) {
    this.now = opts.now ?? Date.now;
    this.unreachable = throttledWarning((obj, msg) => opts.log.warn(obj, msg));
  }

  async get(model: string): Promise<Rollout> {
    const r = await this.opts.store.get(model);
    if (!r) throw appError('rollout_not_found', `model "${model}" has no rollout; start one with: coalmine --model ${model} rollout start <version> (or POST /v1/models/${model}/rollout)`);
    return r;
  }

  /** The model's latest rollout (active or finished), or null when it never had one. */
  async latest(model: string): Promise<Rollout | null> {
    return (await this.opts.store.get(model)) ?? null;
  }

  list(model: string, limit = 20): Promise<Rollout[]> {
    return this.opts.store.list(model, limit);
  }

  async start(model: string, specInput: unknown): Promise<Rollout> {
    const spec = parseRolloutSpec(specInput);
    const routing = await this.opts.router.current(model);
    await this.opts.router.check(model, spec.canaryVersion);
    const at = new Date(this.now()).toISOString();
    await this.opts.store.create({
      id: randomUUID(),
      model,
      revision: 0,
      spec,
      phase: 'pending',
      stepIndex: 0,
      stepStartedAt: at,
      stepRoutingRevision: null,
      startedAt: at,
      updatedAt: at,
      stableVersion: routing.stableVersion,
      consecutiveFailures: 0,
      nextAnalysisAt: null,
      reason: null,
      attempt: 1,
      history: [],
    });
    return this.dispatch(model, { type: 'start', at: this.now(), actor: 'user' });
  }

  async command(model: string, command: RolloutCommand, reason?: string): Promise<Rollout> {
    const at = this.now();
    const event: RolloutEvent =
      command === 'promote' || command === 'promote-full'
        ? { type: 'promote', at, full: command === 'promote-full', actor: 'user' }
        : command === 'pause' || command === 'abort'
          ? { type: command, at, actor: 'user', ...(reason ? { reason } : {}) }
          : { type: command, at, actor: 'user' };
    return this.dispatch(model, event);
  }

  dispatch(model: string, event: RolloutEvent): Promise<Rollout> {
    return this.mutex.run(model, () => this.dispatchLocked(model, event));
  }

  private async dispatchLocked(model: string, event: RolloutEvent): Promise<Rollout> {
    const current = await this.get(model);
    const r = transition(current, event);
    if (!r.ok) throw appError('conflict', r.error);
    if (r.next === current) return current;
    const saved = await this.opts.store.save(r.next, current.revision, notifications(r.next, r.effects));
    this.opts.onChange?.(saved);
    if (saved.phase !== current.phase) {
      this.opts.onPhase?.(model, saved.phase);
      this.opts.log.info({ model, rollout: saved.id, from: current.phase, to: saved.phase, reason: saved.history.at(-1)?.reason }, 'rollout phase changed');
      void this.opts.webhooks?.deliver().catch(() => undefined); // the timer retries; its failure is logged there
    }
    return this.carryOut(saved, r.effects);
  }

  /** Carries out effects after the state is saved; a failure here is repaired by the next reconcile. */
  private async carryOut(rollout: Rollout, effects: readonly RolloutEffect[]): Promise<Rollout> {
    let latest = rollout;
    for (const e of effects) {
      try {
        if (e.type === 'route') {
          const revision = await this.opts.router.apply(rollout.model, e.canaryVersion, e.weightBp, `rollout ${rollout.id.slice(0, 8)}: ${rollout.history.at(-1)?.reason ?? ''}`);
          latest = await this.dispatchLocked(rollout.model, { type: 'step_applied', at: this.now(), routingRevision: revision });
        } else if (e.type === 'promote') {
          await this.opts.router.promote(rollout.model, rollout.spec.canaryVersion, `rollout ${rollout.id.slice(0, 8)} succeeded`);
          latest = await this.dispatchLocked(rollout.model, { type: 'promoted', at: this.now() });
        } else if (e.type === 'rollback') {
          await this.opts.router.clear(rollout.model, e.reason);
        }
      } catch (err) {
        if (err instanceof AppError && err.code === 'model_unavailable' && !isTerminal(latest.phase)) {
          return this.dispatchLocked(rollout.model, { type: 'load_failed', at: this.now(), reason: err.message });
        }
        this.opts.log.warn({ model: rollout.model, effect: e.type, err: err instanceof Error ? err.message : String(err) }, 'rollout effect failed; the next reconcile retries');
      }
    }
    return latest;
  }

  /** Reads the current step's telemetry and judges it. */
  async analyze(r: Rollout): Promise<AnalysisResult> {
    // The step's window: from its start, and exactly from the routing revision its weight got.
    const pair = await this.opts.metrics.read(r.model, { from: Date.parse(r.stepStartedAt), to: this.now() + 60_000, ...(r.stepRoutingRevision !== null ? { minRevision: r.stepRoutingRevision } : {}) });
    const bound = r.spec.analysis ? bindAnalysis(r.spec.analysis) : defaultAnalysis(this.opts.thresholds);
    const weight = r.spec.steps[r.stepIndex]!.weightBp;
    const a = assess({
      srm: { observed: { stable: pair.stable.requests, canary: pair.canary.requests }, weights: { stable: 10_000 - weight, canary: weight }, alpha: r.spec.srmAlpha },
      metrics: bound.map((b) => ({ spec: b.spec, stable: b.pick(pair.stable), canary: b.pick(pair.canary) })),
    });
    return { step: r.stepIndex, weightBp: weight, status: a.status, reason: a.reason, srmMismatch: a.srm?.mismatch ?? false, criticalFailure: a.criticalFailure, verdicts: a.verdicts, n: { stable: pair.stable.requests, canary: pair.canary.requests } };
  }

  private unhealthy(r: Rollout): string | undefined {
    const health = this.opts.health;
    if (!health) return undefined;
    const canary = health(r.model, r.spec.canaryVersion);
    if (canary !== undefined) return `canary v${r.spec.canaryVersion} is not ready: ${canary}`;
    const stable = health(r.model, r.stableVersion);
    return stable !== undefined ? `stable v${r.stableVersion} is not ready: ${stable}` : undefined;
  }

  /** One reconcile pass for a model: a flat list of idempotent steps. */
  reconcile(model: string): Promise<void> {
    return this.mutex.run(model, async () => {
      let r = await this.opts.store.get(model);
      if (!r) return;
      r = await this.ensureRouting(r);
      if (isTerminal(r.phase)) return;
      r = await this.dispatchLocked(model, { type: 'tick', at: this.now() });
      if (r.phase === 'progressing' && r.nextAnalysisAt !== null && this.now() >= Date.parse(r.nextAnalysisAt)) {
        const unhealthy = this.unhealthy(r);
        if (unhealthy !== undefined) await this.dispatchLocked(model, { type: 'unhealthy', at: this.now(), reason: unhealthy });
        else await this.dispatchLocked(model, { type: 'analysis', at: this.now(), result: await this.analyze(r) });
      }
    });
  }

  /** Makes routing match the saved state: the step's weight, a pending promotion, or no canary. */
  private async ensureRouting(r: Rollout): Promise<Rollout> {
    const want = desiredRouting(r);
    const have = await this.opts.router.current(r.model);
    if (want.kind === 'canary') {
      if (have.canaryVersion !== want.version || have.weightBp !== want.weightBp) {
        return this.carryOut(r, [{ type: 'route', canaryVersion: want.version, weightBp: want.weightBp }]);
      }
      if (r.stepRoutingRevision === null) return this.dispatchLocked(r.model, { type: 'step_applied', at: this.now(), routingRevision: have.revision });
    } else if (want.kind === 'promote') {
      if (have.stableVersion === r.spec.canaryVersion) return this.dispatchLocked(r.model, { type: 'promoted', at: this.now() });
      return this.carryOut(r, [{ type: 'promote' }]);
    } else if (want.kind === 'none' && have.canaryVersion === r.spec.canaryVersion && have.revision === r.stepRoutingRevision) {
      // Rolled back, but routing is still exactly what this rollout last set: the process stopped
      // between saving the decision and removing the canary. Someone else's later change is left alone.
      await this.opts.router.clear(r.model, r.reason ?? 'rollout rolled back');
    }
    return r;
  }

  /** At start: finish whatever a stopped process left half done, for every model with a rollout. */
  async recover(models: readonly string[]): Promise<void> {
    for (const model of models) {
      await this.reconcile(model).catch((err: unknown) => this.opts.log.warn({ model, err: err instanceof Error ? err.message : String(err) }, 'rollout recovery failed; will retry'));
    }
  }

  /** Reconciles every active rollout; runs on a timer. */
  async tickAll(): Promise<void> {
    let active: Rollout[];
    try {
      active = await this.opts.store.active();
    } catch (err) {
      // The store is out of reach (a shared database down): nothing can be judged or saved until it is back.
      this.unreachable({ err: err instanceof Error ? err.message : String(err) }, 'cannot read the active rollouts; will retry');
      return;
    }
    for (const r of active) {
      await this.reconcile(r.model).catch((err: unknown) => this.opts.log.warn({ model: r.model, err: err instanceof Error ? err.message : String(err) }, 'rollout reconcile failed; will retry'));
    }
  }

  /** `drives`: whether this process drives the rollouts now (with replicas, the holder of the controller lease). */
  startScheduler(everyMs = 1000, drives: () => boolean = () => true): void {
    this.timer = setInterval(() => {
      if (drives()) void this.tickAll();
    }, everyMs);
    this.timer.unref();
  }

  stopScheduler(): void {
    clearInterval(this.timer);
  }
}
