import { appError, isTerminal, type Rollout } from '../../domain/index.js';
import { OUTBOX_CLAIM_MS, type NewNotification, type OutboxItem, type OutboxStore, type RolloutStore } from '../rollout-store.js';

/** In-memory RolloutStore and outbox for controller unit tests; same contract as SQLite. */
export class MemoryRolloutStore implements RolloutStore, OutboxStore {
  private readonly rollouts: Rollout[] = [];
  readonly outbox: { id: number; rolloutId: string; url: string; payload: string; attempts: number; nextAttemptAt: number; deliveredAt: number | null; gaveUp: boolean }[] = [];

  async get(model: string): Promise<Rollout | undefined> {
    return [...this.rollouts].reverse().find((r) => r.model === model);
  }

  async create(rollout: Rollout): Promise<Rollout> {
    const running = this.rollouts.find((r) => r.model === rollout.model && !isTerminal(r.phase));
    if (running) throw appError('conflict', `model ${rollout.model} already has an active rollout (${running.id}); pause, promote or abort it first`);
    this.rollouts.push(rollout);
    return rollout;
  }

  async save(rollout: Rollout, expectedRevision: number, notifications: readonly NewNotification[]): Promise<Rollout> {
    const i = this.rollouts.findIndex((r) => r.id === rollout.id);
    if (i < 0 || this.rollouts[i]!.revision !== expectedRevision) throw appError('conflict', `rollout ${rollout.id} changed while this change was being made; read it again and retry`);
    const next = { ...rollout, revision: expectedRevision + 1 };
    this.rollouts[i] = next;
    for (const n of notifications) this.outbox.push({ id: this.outbox.length + 1, rolloutId: next.id, url: n.url, payload: n.payload, attempts: 0, nextAttemptAt: 0, deliveredAt: null, gaveUp: false });
    return next;
  }

  async list(model: string, limit: number): Promise<Rollout[]> {
    return [...this.rollouts].reverse().filter((r) => r.model === model).slice(0, limit);
  }

  async active(): Promise<Rollout[]> {
    return this.rollouts.filter((r) => !isTerminal(r.phase));
  }

  async due(now: number, limit: number): Promise<OutboxItem[]> {
    const claimed = this.outbox.filter((o) => o.deliveredAt === null && !o.gaveUp && o.nextAttemptAt <= now).slice(0, limit);
    for (const o of claimed) o.nextAttemptAt = now + OUTBOX_CLAIM_MS;
    return claimed.map(({ id, rolloutId, url, payload, attempts }) => ({ id, rolloutId, url, payload, attempts }));
  }

  async delivered(id: number, at: number): Promise<void> {
    const o = this.outbox.find((x) => x.id === id)!;
    o.deliveredAt = at;
  }

  async retryLater(id: number, attempts: number, nextAttemptAt: number, _error: string, giveUp: boolean): Promise<void> {
    const i = this.outbox.findIndex((x) => x.id === id);
    this.outbox[i] = { ...this.outbox[i]!, attempts, nextAttemptAt, gaveUp: giveUp };
  }
}
