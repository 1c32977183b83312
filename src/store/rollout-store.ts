import type { Rollout } from '../domain/index.js';

/** A webhook delivery, queued in the same transaction as the state change it reports. */
export interface OutboxItem {
  readonly id: number;
  readonly rolloutId: string;
  readonly url: string;
  readonly payload: string;
  readonly attempts: number;
}

export interface NewNotification {
  readonly url: string;
  readonly payload: string;
}

/**
 * Rollouts, saved with a compare-and-set revision. A save and the notifications it produces are
 * one transaction, so a phase change is never reported without being stored, nor stored without
 * being reported.
 */
export interface RolloutStore {
  /** The latest rollout of a model (active or finished). */
  get(model: string): Promise<Rollout | undefined>;
  /** Refuses a second active rollout for the same model. */
  create(rollout: Rollout): Promise<Rollout>;
  save(rollout: Rollout, expectedRevision: number, notifications: readonly NewNotification[]): Promise<Rollout>;
  list(model: string, limit: number): Promise<Rollout[]>;
  active(): Promise<Rollout[]>;
}

/** How long a delivery taken by `due` is kept from every other sender: a sender that dies mid-delivery leaves it due again after this. */
export const OUTBOX_CLAIM_MS = 30_000;

export interface OutboxStore {
  /**
   * Claims up to `limit` items due at `now` for OUTBOX_CLAIM_MS: a second call (this replica's, or
   * another's) does not get them again until then, so each notification is sent once, whichever
   * replica sends it. `delivered` or `retryLater` settle the claim.
   */
  due(now: number, limit: number): Promise<OutboxItem[]>;
  delivered(id: number, at: number): Promise<void>;
  retryLater(id: number, attempts: number, nextAttemptAt: number, error: string, giveUp: boolean): Promise<void>;
}
