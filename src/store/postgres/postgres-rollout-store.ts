import { appError, isTerminal, type Rollout } from '../../domain/index.js';
import { OUTBOX_CLAIM_MS, type NewNotification, type OutboxItem, type OutboxStore, type RolloutStore } from '../rollout-store.js';
import type { Sql } from './postgres-database.js';
import { announce } from './postgres-registry-store.js';

const TERMINAL = ['succeeded', 'rolled_back', 'failed'];

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown }).code === '23505';
}

/** Rollouts and their webhook outbox on PostgreSQL; one active rollout per model is the database's own rule (a partial unique index). */
export class PostgresRolloutStore implements RolloutStore, OutboxStore {
  constructor(private readonly sql: Sql) {}

  async get(model: string): Promise<Rollout | undefined> {
    const [row] = await this.sql<{ data: string }[]>`SELECT data FROM rollouts WHERE model = ${model} ORDER BY created_at DESC, seq DESC LIMIT 1`;
    return row ? (JSON.parse(row.data) as Rollout) : undefined;
  }

  async create(rollout: Rollout): Promise<Rollout> {
    try {
      await this.sql.begin(async (tx) => {
        await tx`INSERT INTO rollouts (id, model, revision, phase, created_at, data) VALUES (${rollout.id}, ${rollout.model}, ${rollout.revision}, ${rollout.phase}, ${rollout.startedAt}, ${JSON.stringify(rollout)})`;
        await announce(tx, { kind: 'rollout', model: rollout.model });
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const [running] = await this.sql<{ id: string }[]>`SELECT id FROM rollouts WHERE model = ${rollout.model} AND phase NOT IN ${this.sql(TERMINAL)}`;
      throw appError('conflict', `model ${rollout.model} already has an active rollout (${running?.id ?? 'another'}); pause, promote or abort it first`);
    }
    return rollout;
  }

  async save(rollout: Rollout, expectedRevision: number, notifications: readonly NewNotification[]): Promise<Rollout> {
    const next: Rollout = { ...rollout, revision: expectedRevision + 1 };
    try {
      return await this.sql.begin(async (tx) => {
        const updated = await tx`UPDATE rollouts SET revision = ${next.revision}, phase = ${next.phase}, data = ${JSON.stringify(next)} WHERE id = ${next.id} AND revision = ${expectedRevision} RETURNING id`;
        if (updated.length !== 1) throw appError('conflict', `rollout ${next.id} changed while this change was being made; read it again and retry`);
        const now = Date.now();
        for (const n of notifications) await tx`INSERT INTO webhook_outbox (rollout_id, url, payload, next_attempt_at) VALUES (${next.id}, ${n.url}, ${n.payload}, ${now})`;
        await announce(tx, { kind: 'rollout', model: next.model });
        return next;
      });
    } catch (err) {
      if (isUniqueViolation(err) && !isTerminal(next.phase)) throw appError('conflict', `model ${next.model} already has another active rollout`);
      throw err;
    }
  }

  async list(model: string, limit: number): Promise<Rollout[]> {
    const rows = await this.sql<{ data: string }[]>`SELECT data FROM rollouts WHERE model = ${model} ORDER BY created_at DESC, seq DESC LIMIT ${limit}`;
    return rows.map((r) => JSON.parse(r.data) as Rollout);
  }

  async active(): Promise<Rollout[]> {
    const rows = await this.sql<{ data: string }[]>`SELECT data FROM rollouts WHERE phase NOT IN ${this.sql(TERMINAL)}`;
    return rows.map((r) => JSON.parse(r.data) as Rollout);
  }

  async due(now: number, limit: number): Promise<OutboxItem[]> {
    // SKIP LOCKED: two replicas claiming at once take different items instead of waiting on each other.
    const rows = await this.sql<{ id: number; rollout_id: string; url: string; payload: string; attempts: number }[]>`
      UPDATE webhook_outbox SET next_attempt_at = ${now + OUTBOX_CLAIM_MS} WHERE id IN (
        SELECT id FROM webhook_outbox WHERE delivered_at IS NULL AND given_up_at IS NULL AND next_attempt_at <= ${now}
        ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING id, rollout_id, url, payload, attempts`;
    return rows.sort((a, b) => a.id - b.id).map((r) => ({ id: r.id, rolloutId: r.rollout_id, url: r.url, payload: r.payload, attempts: r.attempts }));
  }

  async delivered(id: number, at: number): Promise<void> {
    await this.sql`UPDATE webhook_outbox SET delivered_at = ${at}, attempts = attempts + 1 WHERE id = ${id}`;
  }

  async retryLater(id: number, attempts: number, nextAttemptAt: number, error: string, giveUp: boolean): Promise<void> {
    await this.sql`UPDATE webhook_outbox SET attempts = ${attempts}, next_attempt_at = ${nextAttemptAt}, last_error = ${error.slice(0, 500)}, given_up_at = ${giveUp ? Date.now() : null} WHERE id = ${id}`;
  }
}
