import { randomUUID } from 'node:crypto';
import { assess } from '../analysis/index.js';
import { AppError, isTerminal, KeyedMutex, appError, type Phase, type ExternalRouting, type Rollout, type RolloutSpec, type TrafficSpec, type Variant } from '../domain/index.js';
import { throttledWarning } from './throttled-warning.js';
import { bindAnalysis, defaultAnalysis, PrometheusProvider, type DefaultAnalysisOptions, type MetricWindow, type VariantPair, type VariantTarget } from '../metrics/index.js';
import { withQueryEvidence } from './query-evidence.js';
import type { NewNotification, RolloutStore } from '../store/index.js';
import { decisionView } from './decision-view.js';
import { parseRolloutSpec, withModelRouting } from './rollout-spec.js';
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
  /** The router for a rollout whose spec names a proxy (`traffic:`); absent: such specs are refused. */
  readonly routerFor?: (model: string, traffic: TrafficSpec) => TrafficRouter;
  /** The model's own external routing, which a spec without `traffic:`/`metrics:` takes. */
  readonly externalOf?: (model: string) => ExternalRouting | null | undefined;
  readonly metrics: StepMetrics;
  readonly thresholds: DefaultAnalysisOptions;
  readonly webhooks?: WebhookSender;
  readonly now?: () => number;
  readonly log: SenderLogger;
  readonly onPhase?: (model: string, phase: Phase) => void;
  /** Every saved change (steps, decisions, phases): for live views. */
  readonly onChange?: (rollout: Rollout) => void;
}

/** What an analysis found, or why the step could not be measured. */
export type StepJudgement = AnalysisResult | { readonly measurementError: string };

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

  private routerOf(spec: RolloutSpec, model: string): TrafficRouter {
    if (!spec.traffic) return this.opts.router;
    if (!this.opts.routerFor) throw appError('invalid_request', 'rollout spec: traffic.router needs a server that drives proxies');
    return this.opts.routerFor(model, spec.traffic);
  }

  async start(model: string, specInput: unknown): Promise<Rollout> {
    const spec = withModelRouting(parseRolloutSpec(specInput), this.opts.externalOf?.(model));
    const router = this.routerOf(spec, model);
    const routing = await router.current(model);
    await router.check(model, spec.canaryVersion);
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
    const router = this.routerOf(rollout.spec, rollout.model);
    for (const e of effects) {
      try {
        if (e.type === 'route') {
          const revision = await router.apply(rollout.model, e.canaryVersion, e.weightBp, `rollout ${rollout.id.slice(0, 8)}: ${rollout.history.at(-1)?.reason ?? ''}`);
          latest = await this.dispatchLocked(rollout.model, { type: 'step_applied', at: this.now(), routingRevision: revision });
        } else if (e.type === 'promote') {
          await router.promote(rollout.model, rollout.spec.canaryVersion, `rollout ${rollout.id.slice(0, 8)} succeeded`);
          latest = await this.dispatchLocked(rollout.model, { type: 'promoted', at: this.now() });
        } else if (e.type === 'rollback') {
          await router.clear(rollout.model, e.reason);
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

  /** Reads the current step's measurements (coalmine's telemetry, or Prometheus) and judges them; a failed measurement is a value. */
  async analyze(r: Rollout): Promise<StepJudgement> {
    const weight = r.spec.steps[r.stepIndex]!.weightBp;
    const router = this.routerOf(r.spec, r.model);
    const from = Date.parse(r.stepStartedAt);
    let pair: VariantPair;
    let evidence: Parameters<typeof withQueryEvidence>[1] | null = null;
    let latency: 'distribution' | 'mean' | 'none' = 'distribution';
    if (r.spec.metrics) {
      const provider = new PrometheusProvider(r.spec.metrics, r.model);
      const versions: Record<Variant, number> = { stable: r.stableVersion, canary: r.spec.canaryVersion };
      const targets = router.targets ? await router.targets(r.model, versions) : defaultTargets(versions);
      const m = await provider.measure({ from, to: this.now() }, targets);
      if (!m.ok) return { measurementError: `${m.error} (query: ${m.query})` };
      pair = m.pair;
      evidence = m;
      latency = provider.latencyForm;
    } else {
      // The step's window: from its start, and exactly from the routing revision its weight got.
      pair = await this.opts.metrics.read(r.model, { from, to: this.now() + 60_000, ...(r.stepRoutingRevision !== null ? { minRevision: r.stepRoutingRevision } : {}) });
    }
    const bound = r.spec.analysis ? bindAnalysis(r.spec.analysis) : defaultAnalysis(this.opts.thresholds, latency);
    const share = router.effectiveBp?.(weight) ?? weight;
    const a = assess({
      srm: { observed: { stable: pair.stable.requests, canary: pair.canary.requests }, weights: { stable: 10_000 - share, canary: share }, alpha: r.spec.srmAlpha },
      metrics: bound.map((b) => ({ spec: b.spec, stable: b.pick(pair.stable), canary: b.pick(pair.canary) })),
    });
    const verdicts = evidence ? withQueryEvidence(a.verdicts, evidence, bound) : a.verdicts;
    return { step: r.stepIndex, weightBp: weight, status: a.status, reason: a.reason, srmMismatch: a.srm?.mismatch ?? false, criticalFailure: a.criticalFailure, verdicts, n: { stable: pair.stable.requests, canary: pair.canary.requests } };
  }

  private async unhealthy(r: Rollout): Promise<string | undefined> {
    const router = this.routerOf(r.spec, r.model);
    for (const [role, version] of [['canary', r.spec.canaryVersion], ['stable', r.stableVersion]] as const) {
      const why = this.opts.health?.(r.model, version) ?? (await router.unready?.(r.model, version));
      if (why !== undefined) return `${role} v${version} is not ready: ${why}`;
    }
    return undefined;
  }

  /** One reconcile pass for a model: a flat list of idempotent steps. */
  reconcile(model: string): Promise<void> {
    return this.mutex.run(model, async () => {
      let r = await this.opts.store.get(model);
      if (!r) return;
      r = await this.ensureRouting(r);
      if (isTerminal(r.phase)) return;
      r = await this.dispatchLocked(model, { type: 'tick', at: this.now() });
      // A step whose weight has not reached the router yet is not judged: its traffic is still the last step's.
      if (r.phase === 'progressing' && r.nextAnalysisAt !== null && r.stepRoutingRevision !== null && this.now() >= Date.parse(r.nextAnalysisAt)) {
        const unhealthy = await this.unhealthy(r);
        if (unhealthy !== undefined) {
          await this.dispatchLocked(model, { type: 'unhealthy', at: this.now(), reason: unhealthy });
          return;
        }
        const result = await this.analyze(r);
        if ('measurementError' in result) await this.dispatchLocked(model, { type: 'measurement_error', at: this.now(), reason: result.measurementError });
        else await this.dispatchLocked(model, { type: 'analysis', at: this.now(), result });
      }
    });
  }

  /** Makes routing match the saved state: the step's weight, a pending promotion, or no canary. */
  private async ensureRouting(r: Rollout): Promise<Rollout> {
    const want = desiredRouting(r);
    const router = this.routerOf(r.spec, r.model);
    const have = await router.current(r.model);
    if (want.kind === 'canary') {
      if (have.canaryVersion !== want.version || have.weightBp !== want.weightBp || have.inSync === false) {
        return this.carryOut(r, [{ type: 'route', canaryVersion: want.version, weightBp: want.weightBp }]);
      }
      if (r.stepRoutingRevision === null) return this.dispatchLocked(r.model, { type: 'step_applied', at: this.now(), routingRevision: have.revision });
    } else if (want.kind === 'promote') {
      if (have.stableVersion === r.spec.canaryVersion && have.inSync !== false) return this.dispatchLocked(r.model, { type: 'promoted', at: this.now() });
      return this.carryOut(r, [{ type: 'promote' }]);
    } else if (want.kind === 'none') {
      // Rolled back, but routing is still exactly what this rollout last set (the process stopped
      // between saving the decision and removing the canary; someone else's later change is left
      // alone), or a proxy lost the rollback (restarted onto its config file).
      const unfinished = have.canaryVersion === r.spec.canaryVersion && have.revision === r.stepRoutingRevision;
      const lost = have.inSync === false && have.canaryVersion === null;
      if (unfinished || lost) await router.clear(r.model, r.reason ?? 'rollout rolled back');
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

/** How templates name the variants when no proxy router says better: by role. */
function defaultTargets(versions: Readonly<Record<Variant, number>>): Record<Variant, VariantTarget> {
  return {
    stable: { version: versions.stable, server: 'stable', address: '', backend: '' },
    canary: { version: versions.canary, server: 'canary', address: '', backend: '' },
  };
}
