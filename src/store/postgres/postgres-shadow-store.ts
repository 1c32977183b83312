import type { Label, ShadowComparison, ShadowSessionRecord } from '../../domain/index.js';
import type { NewNotification } from '../rollout-store.js';
import { COMPARISON_COLUMNS, fromComparisonRow, toComparisonRow, type ComparisonRow, type ShadowStatsRow, type ShadowStore } from '../shadow-store.js';
import type { PredictionKey } from '../telemetry-store.js';
import type { Sql } from './postgres-database.js';

/** The shadow's rows on PostgreSQL: every replica appends its comparisons and upserts its own totals; reads sum them all. */
export class PostgresShadowStore implements ShadowStore {
  constructor(private readonly sql: Sql) {}

  async appendComparisons(rows: readonly ShadowComparison[]): Promise<void> {
    if (rows.length === 0) return;
    const records = rows.map((r) => ({ ...toComparisonRow(r), agree: r.agree }));
    await this.sql`INSERT INTO shadow_comparisons ${this.sql(records, ...COMPARISON_COLUMNS)} ON CONFLICT (request_id, row) DO NOTHING`;
  }

  async findComparisons(keys: readonly PredictionKey[]): Promise<ShadowComparison[]> {
    if (keys.length === 0) return [];
    const rows = await this.sql<ComparisonRow[]>`
      SELECT c.* FROM shadow_comparisons c
      JOIN unnest(${keys.map((k) => k.requestId)}::text[], ${keys.map((k) => k.row)}::int[]) AS k(request_id, row)
        ON c.request_id = k.request_id COLLATE "C" AND c.row = k.row`;
    return rows.map(fromComparisonRow);
  }

  async labelComparisons(labels: readonly (PredictionKey & { label: Label; at: number })[]): Promise<PredictionKey[]> {
    if (labels.length === 0) return [];
    const rows = await this.sql<{ request_id: string; row: number }[]>`
      UPDATE shadow_comparisons c SET label = k.label, labelled_at = k.at
      FROM unnest(${labels.map((l) => l.requestId)}::text[], ${labels.map((l) => l.row)}::int[],
                  ${labels.map((l) => JSON.stringify(l.label))}::text[], ${labels.map((l) => l.at)}::bigint[]) AS k(request_id, row, label, at)
      WHERE c.request_id = k.request_id COLLATE "C" AND c.row = k.row AND c.label IS NULL
      RETURNING c.request_id, c.row`;
    return rows.map((r) => ({ requestId: r.request_id, row: r.row }));
  }

  async recentComparisons(session: string, limit: number, disagreeing: boolean): Promise<ShadowComparison[]> {
    const rows = disagreeing
      ? await this.sql<ComparisonRow[]>`SELECT * FROM shadow_comparisons WHERE session = ${session} AND (agree = false OR shadow_error IS NOT NULL) ORDER BY request_id DESC, row DESC LIMIT ${limit}`
      : await this.sql<ComparisonRow[]>`SELECT * FROM shadow_comparisons WHERE session = ${session} ORDER BY request_id DESC, row DESC LIMIT ${limit}`;
    return rows.map(fromComparisonRow);
  }

  async writeStats(rows: readonly ShadowStatsRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.sql`
      INSERT INTO shadow_stats ${this.sql(rows.map((r) => ({ session: r.session, writer: r.writer, data: r.data })), 'session', 'writer', 'data')}
      ON CONFLICT (session, writer) DO UPDATE SET data = excluded.data`;
  }

  async readStats(session: string): Promise<ShadowStatsRow[]> {
    const rows = await this.sql<ShadowStatsRow[]>`SELECT session, writer, data FROM shadow_stats WHERE session = ${session}`;
    return rows.map((r) => ({ session: r.session, writer: r.writer, data: r.data }));
  }

  async saveSession(record: ShadowSessionRecord, notifications: readonly NewNotification[]): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`INSERT INTO shadow_sessions (id, model, started_at, data) VALUES (${record.id}, ${record.model}, ${record.shadow.startedAt}, ${JSON.stringify(record)})
               ON CONFLICT (id) DO UPDATE SET data = excluded.data`;
      const now = Date.now();
      for (const n of notifications) await tx`INSERT INTO webhook_outbox (rollout_id, url, payload, next_attempt_at) VALUES (${`shadow:${record.id}`}, ${n.url}, ${n.payload}, ${now})`;
    });
  }

  async session(id: string): Promise<ShadowSessionRecord | undefined> {
    const [row] = await this.sql<{ data: string }[]>`SELECT data FROM shadow_sessions WHERE id = ${id}`;
    return row ? (JSON.parse(row.data) as ShadowSessionRecord) : undefined;
  }

  async sessions(model: string, limit: number): Promise<ShadowSessionRecord[]> {
    const rows = await this.sql<{ data: string }[]>`SELECT data FROM shadow_sessions WHERE model = ${model} ORDER BY started_at DESC, id DESC LIMIT ${limit}`;
    return rows.map((r) => JSON.parse(r.data) as ShadowSessionRecord);
  }

  async purge(beforeMs: number, maxRows: number): Promise<number> {
    const old = await this.sql`DELETE FROM shadow_comparisons WHERE created_at < ${beforeMs}`;
    const beyond = await this.sql`
      DELETE FROM shadow_comparisons WHERE request_id <= (SELECT request_id FROM shadow_comparisons ORDER BY request_id DESC LIMIT 1 OFFSET ${maxRows})`;
    return old.count + beyond.count;
  }
}
