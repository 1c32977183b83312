import type Database from 'better-sqlite3';
import type { Label, ShadowComparison, ShadowSessionRecord } from '../../domain/index.js';
import type { NewNotification } from '../rollout-store.js';
import { COMPARISON_COLUMNS, fromComparisonRow, toComparisonRow, type ComparisonRow, type ShadowStatsRow, type ShadowStore } from '../shadow-store.js';
import type { PredictionKey } from '../telemetry-store.js';

/** Keys per lookup statement: well under SQLite's limit of bound parameters. */
const KEYS_PER_QUERY = 400;

/**
 * The shadow's rows on SQLite: comparisons and per-writer totals on the high-volume connection
 * (`data`, no fsync per commit, like telemetry), session records and their webhooks on the state
 * connection (`state`, fsync'd), so a verdict is reported if and only if it was saved.
 */
export class SqliteShadowStore implements ShadowStore {
  private readonly stmt;

  /**
   * `offThread`: writes comparisons on the prediction log's writer thread (WorkerPredictionLogStore),
   * given the way to write them here should that thread fail.
   */
  constructor(
    private readonly data: Database.Database,
    private readonly state: Database.Database,
    private readonly offThread?: (rows: readonly ShadowComparison[], here: () => Promise<void>) => Promise<void>,
  ) {
    const cols = COMPARISON_COLUMNS.join(', ');
    this.stmt = {
      insert: data.prepare(`INSERT OR IGNORE INTO shadow_comparisons (${cols}) VALUES (${COMPARISON_COLUMNS.map((c) => `@${c}`).join(', ')})`),
      label: data.prepare('UPDATE shadow_comparisons SET label = ?, labelled_at = ? WHERE request_id = ? AND row = ? AND label IS NULL'),
      recent: data.prepare<[string, number], ComparisonRow>('SELECT * FROM shadow_comparisons WHERE session = ? ORDER BY request_id DESC, row DESC LIMIT ?'),
      recentDisagreeing: data.prepare<[string, number], ComparisonRow>(
        'SELECT * FROM shadow_comparisons WHERE session = ? AND (agree = 0 OR shadow_error IS NOT NULL) ORDER BY request_id DESC, row DESC LIMIT ?',
      ),
      writeStats: data.prepare('INSERT INTO shadow_stats (session, writer, data) VALUES (@session, @writer, @data) ON CONFLICT (session, writer) DO UPDATE SET data = excluded.data'),
      readStats: data.prepare<[string], ShadowStatsRow>('SELECT session, writer, data FROM shadow_stats WHERE session = ?'),
      purgeOld: data.prepare('DELETE FROM shadow_comparisons WHERE created_at < ?'),
      count: data.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM shadow_comparisons'),
      purgeBeyond: data.prepare('DELETE FROM shadow_comparisons WHERE request_id <= (SELECT request_id FROM shadow_comparisons ORDER BY request_id DESC LIMIT 1 OFFSET ?)'),
      saveSession: state.prepare('INSERT INTO shadow_sessions (id, model, started_at, data) VALUES (@id, @model, @startedAt, @data) ON CONFLICT (id) DO UPDATE SET data = excluded.data'),
      enqueue: state.prepare('INSERT INTO webhook_outbox (rollout_id, url, payload, next_attempt_at) VALUES (?, ?, ?, ?)'),
      session: state.prepare<[string], { data: string }>('SELECT data FROM shadow_sessions WHERE id = ?'),
      sessions: state.prepare<[string, number], { data: string }>('SELECT data FROM shadow_sessions WHERE model = ? ORDER BY started_at DESC, rowid DESC LIMIT ?'),
    };
  }

  appendComparisons(rows: readonly ShadowComparison[]): Promise<void> {
    const here = async () => {
      this.data.transaction(() => {
        for (const row of rows) this.stmt.insert.run(toComparisonRow(row));
      })();
    };
    return this.offThread ? this.offThread(rows, here) : here();
  }

  async findComparisons(keys: readonly PredictionKey[]): Promise<ShadowComparison[]> {
    const out: ShadowComparison[] = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
      const slice = keys.slice(i, i + KEYS_PER_QUERY);
      const where = slice.map(() => '(request_id = ? AND row = ?)').join(' OR ');
      const rows = this.data.prepare<unknown[], ComparisonRow>(`SELECT * FROM shadow_comparisons WHERE ${where}`).all(...slice.flatMap((k) => [k.requestId, k.row]));
      out.push(...rows.map(fromComparisonRow));
    }
    return out;
  }

  async labelComparisons(labels: readonly (PredictionKey & { label: Label; at: number })[]): Promise<PredictionKey[]> {
    return this.data.transaction(() => labels.filter((l) => this.stmt.label.run(JSON.stringify(l.label), l.at, l.requestId, l.row).changes === 1).map((l) => ({ requestId: l.requestId, row: l.row })))();
  }

  async recentComparisons(session: string, limit: number, disagreeing: boolean): Promise<ShadowComparison[]> {
    return (disagreeing ? this.stmt.recentDisagreeing : this.stmt.recent).all(session, limit).map(fromComparisonRow);
  }

  async writeStats(rows: readonly ShadowStatsRow[]): Promise<void> {
    this.data.transaction(() => {
      for (const row of rows) this.stmt.writeStats.run(row);
    })();
  }

  async readStats(session: string): Promise<ShadowStatsRow[]> {
    return this.stmt.readStats.all(session);
  }

  async saveSession(record: ShadowSessionRecord, notifications: readonly NewNotification[]): Promise<void> {
    this.state.transaction(() => {
      this.stmt.saveSession.run({ id: record.id, model: record.model, startedAt: record.shadow.startedAt, data: JSON.stringify(record) });
      const now = Date.now();
      for (const n of notifications) this.stmt.enqueue.run(`shadow:${record.id}`, n.url, n.payload, now);
    })();
  }

  async session(id: string): Promise<ShadowSessionRecord | undefined> {
    const row = this.stmt.session.get(id);
    return row ? (JSON.parse(row.data) as ShadowSessionRecord) : undefined;
  }

  async sessions(model: string, limit: number): Promise<ShadowSessionRecord[]> {
    return this.stmt.sessions.all(model, limit).map((r) => JSON.parse(r.data) as ShadowSessionRecord);
  }

  async purge(beforeMs: number, maxRows: number): Promise<number> {
    let removed = this.stmt.purgeOld.run(beforeMs).changes;
    if ((this.stmt.count.get()?.n ?? 0) > maxRows) removed += this.stmt.purgeBeyond.run(maxRows).changes;
    return removed;
  }
}
