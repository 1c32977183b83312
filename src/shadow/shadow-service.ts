import { randomUUID } from 'node:crypto';
import { judgeShadow, type ShadowVerdict } from '../analysis/index.js';
import { appError, type Model, type ModelTask, type Rollout, type ShadowRouting, type ShadowSessionRecord } from '../domain/index.js';
import type { ModelRegistry } from '../registry/index.js';
import type { RolloutController } from '../rollout/index.js';
import type { NewNotification, ShadowStore } from '../store/index.js';
import type { MergedShadowStats, ShadowRecorder } from '../telemetry/index.js';
import { measurementOf } from './shadow-measurement.js';
import { parseShadowStart } from './shadow-spec.js';
import { shadowMetricsView, shadowRoutingView, shadowVerdictView } from './shadow-view.js';

export interface ShadowLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ShadowServiceOptions {
  readonly registry: ModelRegistry;
  readonly recorder: ShadowRecorder;
  readonly store: ShadowStore;
  readonly rollouts: RolloutController;
  /** Whether a proxy splits the model's traffic (then coalmine never sees a request to copy). */
  readonly routedElsewhere: (model: string) => boolean;
  /** Shadow calls under way in this process. */
  readonly inFlight: () => number;
  /** Tells the webhook sender there is something to send. */
  readonly notify?: () => void;
  readonly now?: () => number;
  readonly log: ShadowLogger;
}

export interface ShadowStatus {
  readonly model: string;
  readonly running: boolean;
  readonly session: (ReturnType<typeof shadowRoutingView> & { primary_version: number; stopped_at: string | null }) | null;
  readonly in_flight: number;
  readonly metrics: ReturnType<typeof shadowMetricsView> | null;
  readonly verdict: ReturnType<typeof shadowVerdictView> | null;
  /** The last verdict the controller reported (and sent to the webhooks), with when. */
  readonly reported: ShadowSessionRecord['verdict'];
}

const taskOf = (model: Model): ModelTask => model.versions.find((v) => v.version === model.routing.stableVersion)!.signature.task;

/**
 * Shadow sessions: start, stop, status, promotion to a canary rollout, and the controller's watch
 * that reports each change of verdict to the session's webhooks. Starting and stopping are routing
 * changes (persisted, then applied by every replica); the session's record keeps its history.
 */
export class ShadowService {
  private readonly now: () => number;

  constructor(private readonly opts: ShadowServiceOptions) {
    this.now = opts.now ?? Date.now;
  }

  async start(model: string, body: unknown): Promise<ShadowStatus> {
    const input = parseShadowStart(body);
    const before = (await this.opts.registry.get(model)).routing.shadow;
    if (this.opts.routedElsewhere(model)) {
      throw appError('conflict', `a proxy splits "${model}"'s traffic (external routing), so coalmine sees no request to copy to a shadow; shadow mode needs coalmine in the data path (DELETE /v1/models/${model}/external-routing to route it here)`);
    }
    const shadow: ShadowRouting = { id: randomUUID(), version: input.version, sampleBp: input.sampleBp, startedAt: new Date(this.now()).toISOString(), policy: input.policy, webhooks: input.webhooks };
    const updated = await this.opts.registry.startShadow(model, shadow);
    if (before) await this.close(model, before, `replaced by shadow v${shadow.version}`);
    await this.opts.store.saveSession({ id: shadow.id, model, shadow, stoppedAt: null, verdict: null }, []);
    this.opts.log.info({ model, shadow: shadow.version, sample: shadow.sampleBp / 100, session: shadow.id }, 'shadow started');
    return this.statusOf(updated, shadow, null);
  }

  async stop(model: string, reason?: string): Promise<ShadowStatus> {
    const before = (await this.opts.registry.get(model)).routing.shadow;
    const updated = await this.opts.registry.stopShadow(model, reason);
    const record = before ? await this.close(model, before, reason ?? 'stopped by hand') : undefined;
    this.opts.log.info({ model, shadow: before?.version, session: before?.id }, 'shadow stopped');
    return before ? this.statusOf(updated, before, record?.stoppedAt ?? null) : this.status(model);
  }

  /** The running session's status, or the last one's (running false), or none. */
  async status(model: string): Promise<ShadowStatus> {
    const m = await this.opts.registry.get(model);
    if (m.routing.shadow) return this.statusOf(m, m.routing.shadow, null);
    const [last] = await this.opts.store.sessions(model, 1);
    if (!last) return { model, running: false, session: null, in_flight: this.opts.inFlight(), metrics: null, verdict: null, reported: null };
    return this.statusOf(m, last.shadow, last.stoppedAt ?? new Date(this.now()).toISOString(), last);
  }

  /** Totals of the model's running (or last) session, and its verdict now. */
  async judge(model: Model, shadow: ShadowRouting): Promise<{ totals: MergedShadowStats; verdict: ShadowVerdict }> {
    const totals = await this.opts.recorder.totals(shadow.id);
    return { totals, verdict: judgeShadow(measurementOf(taskOf(model), totals), shadow.policy) };
  }

  private async statusOf(model: Model, shadow: ShadowRouting, stoppedAt: string | null, known?: ShadowSessionRecord): Promise<ShadowStatus> {
    const record = known ?? (await this.opts.store.session(shadow.id));
    const { totals, verdict } = await this.judge(model, shadow);
    return {
      model: model.name,
      running: stoppedAt === null,
      session: { ...shadowRoutingView(shadow), primary_version: model.routing.stableVersion, stopped_at: stoppedAt },
      in_flight: this.opts.inFlight(),
      metrics: shadowMetricsView(totals, shadow.policy.alpha),
      verdict: shadowVerdictView(verdict),
      reported: record?.verdict ?? null,
    };
  }

  async sessions(model: string, limit: number): Promise<ShadowSessionRecord[]> {
    await this.opts.registry.get(model);
    return this.opts.store.sessions(model, limit);
  }

  async comparisons(model: string, limit: number, disagreeing: boolean) {
    const m = await this.opts.registry.get(model);
    const session = m.routing.shadow?.id ?? (await this.opts.store.sessions(model, 1))[0]?.id;
    return { session: session ?? null, comparisons: session ? await this.opts.recorder.recent(session, limit, disagreeing) : [] };
  }

  /**
   * Ends the session and starts a canary rollout of the shadow's version, in one command. A shadow
   * whose verdict is fail is refused unless `force` (the reason is in the message).
   */
  async promote(model: string, input: { force?: boolean; rollout?: Record<string, unknown> }): Promise<Rollout> {
    const m = await this.opts.registry.get(model);
    const shadow = m.routing.shadow;
    if (!shadow) throw appError('no_shadow', `model "${model}" has no shadow running, so there is nothing to promote; start one with: coalmine --model ${model} shadow start <version>`);
    const { verdict } = await this.judge(m, shadow);
    if (verdict.status === 'fail' && !input.force) {
      throw appError('conflict', `shadow v${shadow.version} failed its checks (${verdict.reason}); promote it anyway with --force (or "force": true)`);
    }
    const named = input.rollout?.canary ?? input.rollout?.version;
    if (named !== undefined && Number(String(named).replace(/^v/, '')) !== shadow.version) {
      throw appError('invalid_request', `the rollout's canary is the shadow's version, v${shadow.version}; leave canary out of the spec (it names v${String(named)})`);
    }
    const spec = { ...(input.rollout ?? {}), canary: shadow.version };
    // The rollout's first step deploys the version as canary, which ends the shadow session in
    // the same routing change (ModelRegistry.deploy); the watch then closes its record.
    const rollout = await this.opts.rollouts.start(model, spec);
    const after = (await this.opts.registry.get(model)).routing.shadow;
    if (after?.id === shadow.id) await this.opts.registry.stopShadow(model, `promoted to canary by rollout ${rollout.id.slice(0, 8)}`);
    await this.close(model, shadow, `promoted to canary by rollout ${rollout.id.slice(0, 8)}`);
    this.opts.log.info({ model, shadow: shadow.version, rollout: rollout.id, verdict: verdict.status }, 'shadow promoted to a canary rollout');
    return rollout;
  }

  /** Marks a session's record stopped, with its final verdict, and tells its webhooks. */
  private async close(model: string, shadow: ShadowRouting, reason: string): Promise<ShadowSessionRecord> {
    const m = await this.opts.registry.get(model);
    const existing = await this.opts.store.session(shadow.id);
    if (existing?.stoppedAt) return existing;
    const { verdict } = await this.judge(m, shadow);
    const at = new Date(this.now()).toISOString();
    const record: ShadowSessionRecord = { id: shadow.id, model, shadow, stoppedAt: at, verdict: { status: verdict.status, reason: verdict.reason, at } };
    await this.opts.store.saveSession(record, this.notifications(record, 'shadow.stopped', existing?.verdict?.status ?? null, verdict, reason));
    this.opts.notify?.();
    return record;
  }

  private notifications(record: ShadowSessionRecord, event: 'shadow.verdict_changed' | 'shadow.stopped', from: string | null, verdict: ShadowVerdict, reason?: string): NewNotification[] {
    const payload = JSON.stringify({
      event,
      model: record.model,
      session: record.id,
      version: record.shadow.version,
      from,
      to: verdict.status,
      at: record.verdict?.at ?? new Date(this.now()).toISOString(),
      ...(reason ? { reason } : {}),
      verdict: shadowVerdictView(verdict),
    });
    return record.shadow.webhooks.map((url) => ({ url, payload }));
  }

  /**
   * One pass of the controller's watch (the lease holder runs it every second): each running
   * session's verdict is judged on every replica's totals, and a change from the last one
   * reported is saved with its webhooks in one transaction; records of sessions that ended
   * without this replica's knowledge (a deploy of the shadow version, another replica's stop) are closed.
   */
  async watch(): Promise<void> {
    for (const m of await this.opts.registry.list()) {
      const shadow = m.routing.shadow;
      for (const open of (await this.opts.store.sessions(m.name, 5)).filter((r) => r.stoppedAt === null && r.id !== shadow?.id)) {
        await this.close(m.name, open.shadow, 'the shadow session ended');
      }
      if (!shadow) continue;
      const record = (await this.opts.store.session(shadow.id)) ?? { id: shadow.id, model: m.name, shadow, stoppedAt: null, verdict: null };
      const { verdict } = await this.judge(m, shadow);
      if (record.verdict?.status === verdict.status) continue;
      const at = new Date(this.now()).toISOString();
      const next: ShadowSessionRecord = { ...record, verdict: { status: verdict.status, reason: verdict.reason, at } };
      // A session's first verdict, still waiting for data, is saved but tells nobody.
      const quiet = record.verdict === null && verdict.status === 'inconclusive';
      await this.opts.store.saveSession(next, quiet ? [] : this.notifications(next, 'shadow.verdict_changed', record.verdict?.status ?? null, verdict));
      const log = verdict.status === 'fail' ? this.opts.log.warn.bind(this.opts.log) : this.opts.log.info.bind(this.opts.log);
      log({ model: m.name, shadow: shadow.version, session: shadow.id, from: record.verdict?.status ?? null, to: verdict.status, reason: verdict.reason }, 'shadow verdict changed');
      this.opts.notify?.();
    }
  }
}
