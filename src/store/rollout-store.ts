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

export interface OutboxStore {
  due(now: number, limit: number): Promise<OutboxItem[]>;
  delivered(id: number, at: number): Promise<void>;
  retryLater(id: number, attempts: number, nextAttemptAt: number, error: string, giveUp: boolean): Promise<void>;
}
