import type Database from 'better-sqlite3';
import { appError, isTerminal, type Rollout } from '../../domain/index.js';
import { changeRecorder } from './sqlite-change-stream.js';
import { OUTBOX_CLAIM_MS, type NewNotification, type OutboxItem, type OutboxStore, type RolloutStore } from '../rollout-store.js';

interface Row {
  data: string;
}

export class SqliteRolloutStore implements RolloutStore, OutboxStore {
  private readonly stmt;
  private readonly record;

  constructor(private readonly db: Database.Database) {
    this.record = changeRecorder(db);
    this.stmt = {
      latest: db.prepare<[string], Row>('SELECT data FROM rollouts WHERE model = ? ORDER BY created_at DESC, rowid DESC LIMIT 1'),
      list: db.prepare<[string, number], Row>('SELECT data FROM rollouts WHERE model = ? ORDER BY created_at DESC, rowid DESC LIMIT ?'),
      active: db.prepare<[], Row>("SELECT data FROM rollouts WHERE phase NOT IN ('succeeded', 'rolled_back', 'failed')"),
      activeFor: db.prepare<[string], { id: string }>("SELECT id FROM rollouts WHERE model = ? AND phase NOT IN ('succeeded', 'rolled_back', 'failed')"),
      insert: db.prepare('INSERT INTO rollouts (id, model, revision, phase, created_at, data) VALUES (?, ?, ?, ?, ?, ?)'),
      update: db.prepare('UPDATE rollouts SET revision = ?, phase = ?, data = ? WHERE id = ? AND revision = ?'),
      enqueue: db.prepare('INSERT INTO webhook_outbox (rollout_id, url, payload, next_attempt_at) VALUES (?, ?, ?, ?)'),
      due: db.prepare<[number, number, number], { id: number; rollout_id: string; url: string; payload: string; attempts: number }>(
        `UPDATE webhook_outbox SET next_attempt_at = ? WHERE id IN (
           SELECT id FROM webhook_outbox WHERE delivered_at IS NULL AND given_up_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?)
         RETURNING id, rollout_id, url, payload, attempts`,
      ),
      delivered: db.prepare('UPDATE webhook_outbox SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?'),
      retry: db.prepare('UPDATE webhook_outbox SET attempts = ?, next_attempt_at = ?, last_error = ?, given_up_at = ? WHERE id = ?'),
    };
  }

  async get(model: string): Promise<Rollout | undefined> {
    const row = this.stmt.latest.get(model);
    return row ? (JSON.parse(row.data) as Rollout) : undefined;
  }

  async create(rollout: Rollout): Promise<Rollout> {
    // IMMEDIATE: it checks for a running rollout before it writes (see labelWriter in prediction-log-chunks.ts).
    return this.db.transaction(() => {
      const running = this.stmt.activeFor.get(rollout.model);
      if (running) throw appError('conflict', `model ${rollout.model} already has an active rollout (${running.id}); pause, promote or abort it first`);
      this.stmt.insert.run(rollout.id, rollout.model, rollout.revision, rollout.phase, rollout.startedAt, JSON.stringify(rollout));
      this.record({ kind: 'rollout', model: rollout.model });
      return rollout;
    }).immediate();
  }

  async save(rollout: Rollout, expectedRevision: number, notifications: readonly NewNotification[]): Promise<Rollout> {
    const next: Rollout = { ...rollout, revision: expectedRevision + 1 };
    return this.db.transaction(() => {
      const r = this.stmt.update.run(next.revision, next.phase, JSON.stringify(next), next.id, expectedRevision);
      if (r.changes !== 1) throw appError('conflict', `rollout ${next.id} changed while this change was being made; read it again and retry`);
      if (!isTerminal(next.phase) && this.stmt.activeFor.get(next.model)?.id !== next.id) {
        throw appError('conflict', `model ${next.model} already has another active rollout`);
      }
      const now = Date.now();
      for (const n of notifications) this.stmt.enqueue.run(next.id, n.url, n.payload, now);
      this.record({ kind: 'rollout', model: next.model });
      return next;
    })();
  }

  async list(model: string, limit: number): Promise<Rollout[]> {
    return this.stmt.list.all(model, limit).map((r) => JSON.parse(r.data) as Rollout);
  }

  async active(): Promise<Rollout[]> {
    return this.stmt.active.all().map((r) => JSON.parse(r.data) as Rollout);
  }

  async due(now: number, limit: number): Promise<OutboxItem[]> {
    return this.stmt.due
      .all(now + OUTBOX_CLAIM_MS, now, limit)
      .sort((a, b) => a.id - b.id)
      .map((r) => ({ id: r.id, rolloutId: r.rollout_id, url: r.url, payload: r.payload, attempts: r.attempts }));
  }

  async delivered(id: number, at: number): Promise<void> {
    this.stmt.delivered.run(at, id);
  }

  async retryLater(id: number, attempts: number, nextAttemptAt: number, error: string, giveUp: boolean): Promise<void> {
    this.stmt.retry.run(attempts, nextAttemptAt, error.slice(0, 500), giveUp ? Date.now() : null, id);
  }
}
