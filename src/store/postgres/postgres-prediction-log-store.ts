import { requestIdTimePrefix, type Label, type PredictionLogEntry } from '../../domain/index.js';
import { encodeLogRows, findLogRow, packedBytes, SLOT_MS, slotOf, splitBySlot } from '../sqlite/prediction-log-codec.js';
import type { PredictionKey, PredictionLogStore } from '../telemetry-store.js';
import type { Sql, Tx } from './postgres-database.js';

const keyOf = (k: PredictionKey): string => `${k.requestId}#${k.row}`;
/** Chunks deleted per statement, as on SQLite: no purge holds many row locks for long. */
const PURGE_SLICE_CHUNKS = 64;
const PURGE_SLICE_LABELS = 1000;

/**
 * The prediction log on PostgreSQL, in the same chunks of packed rows as on SQLite
 * (prediction-log-codec.ts, prediction-log-chunks.ts): a database row per slot of request-id
 * time, not per prediction, so a replica writes a few rows a second whatever its traffic, and
 * any replica finds a prediction another one served.
 */
export class PostgresPredictionLogStore implements PredictionLogStore {
  constructor(private readonly sql: Sql) {}

  async append(entries: readonly PredictionLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const chunks = splitBySlot(packedBytes(encodeLogRows(entries)));
    const records = chunks.map((c) => ({ slot: c.slot, first_request_id: c.firstRequestId, first_row: c.firstRow, rows: c.rows, max_created_at: c.maxCreatedAt, data: c.data }));
    // The same rows always split into the same chunks: writing them again adds nothing.
    await this.sql`
      INSERT INTO prediction_chunks ${this.sql(records, 'slot', 'first_request_id', 'first_row', 'rows', 'max_created_at', 'data')}
      ON CONFLICT (slot, first_request_id, first_row) DO NOTHING`;
  }

  find(keys: readonly PredictionKey[]): Promise<PredictionLogEntry[]> {
    return this.findOn(this.sql, keys);
  }

  private async findOn(tx: Tx, keys: readonly PredictionKey[]): Promise<PredictionLogEntry[]> {
    if (keys.length === 0) return [];
    const slots = [...new Set(keys.map((k) => slotOf(k.requestId)))];
    const chunks = await tx<{ slot: number; data: Buffer }[]>`SELECT slot, data FROM prediction_chunks WHERE slot = ANY(${slots}::bigint[])`;
    const bySlot = new Map<number, Buffer[]>();
    for (const c of chunks) {
      const list = bySlot.get(c.slot);
      if (list === undefined) bySlot.set(c.slot, [c.data]);
      else list.push(c.data);
    }
    const found: PredictionLogEntry[] = [];
    const unlabelled: PredictionLogEntry[] = [];
    for (const k of keys) {
      const id = Buffer.from(k.requestId, 'utf8');
      let entry: PredictionLogEntry | undefined;
      for (const data of bySlot.get(slotOf(k.requestId)) ?? []) {
        entry = findLogRow(data, id, k.row);
        if (entry !== undefined) break;
      }
      if (entry === undefined) continue;
      found.push(entry);
      if (entry.label === null) unlabelled.push(entry);
    }
    if (unlabelled.length === 0) return found;
    const labels = await tx<{ request_id: string; row: number; label: string; labelled_at: number }[]>`
      SELECT l.request_id, l.row, l.label, l.labelled_at FROM prediction_labels l
      JOIN unnest(${unlabelled.map((e) => e.requestId)}::text[], ${unlabelled.map((e) => e.row)}::int[]) AS k(request_id, row)
        ON l.request_id = k.request_id AND l.row = k.row`;
    const byKey = new Map(labels.map((l) => [`${l.request_id}#${l.row}`, l]));
    return found.map((e) => {
      const l = e.label === null ? byKey.get(keyOf(e)) : undefined;
      return l ? { ...e, label: JSON.parse(l.label) as Label, labelledAt: l.labelled_at } : e;
    });
  }

  /** A key takes its label once, whichever replica the feedback reached: the insert that wins the primary key counts. */
  async setLabels(labels: readonly (PredictionKey & { label: Label; at: number })[]): Promise<PredictionKey[]> {
    if (labels.length === 0) return [];
    return this.sql.begin(async (tx) => {
      const open = new Set((await this.findOn(tx, labels)).filter((e) => e.label === null).map(keyOf));
      // One label per key in this call: the first wins, as it does on SQLite.
      const firsts = new Map<string, PredictionKey & { label: Label; at: number }>();
      for (const l of labels) if (open.has(keyOf(l)) && !firsts.has(keyOf(l))) firsts.set(keyOf(l), l);
      const unique = [...firsts.values()];
      if (unique.length === 0) return [];
      const inserted = await tx<{ request_id: string; row: number }[]>`
        INSERT INTO prediction_labels (request_id, row, label, labelled_at)
        SELECT * FROM unnest(${unique.map((l) => l.requestId)}::text[], ${unique.map((l) => l.row)}::int[], ${unique.map((l) => JSON.stringify(l.label))}::text[], ${unique.map((l) => l.at)}::bigint[])
        ON CONFLICT (request_id, row) DO NOTHING RETURNING request_id, row`;
      const took = new Set(inserted.map((r) => `${r.request_id}#${r.row}`));
      return labels.filter((l) => took.delete(keyOf(l)));
    });
  }

  /** Retention as on SQLite: chunks older than the cutoff, then the oldest beyond `maxRows`, then labels of rows no longer kept, in slices. */
  async purge(beforeMs: number, maxRows: number): Promise<number> {
    let removed = 0;
    const slices = async (run: () => Promise<{ rows: number }[]>): Promise<void> => {
      for (let rows = await run(); rows.length > 0; rows = await run()) removed += rows.reduce((a, r) => a + r.rows, 0);
    };
    const cut = Math.ceil(beforeMs / SLOT_MS);
    await slices(
      () => this.sql<{ rows: number }[]>`
        DELETE FROM prediction_chunks WHERE id IN (
          SELECT id FROM prediction_chunks WHERE slot < ${cut} AND max_created_at < ${beforeMs} ORDER BY slot LIMIT ${PURGE_SLICE_CHUNKS}) RETURNING rows`,
    );
    const [edge] = await this.sql<{ slot: number }[]>`
      SELECT slot FROM (SELECT slot, SUM(rows) OVER (ORDER BY slot DESC) AS kept FROM prediction_chunks) k WHERE kept > ${maxRows} ORDER BY slot DESC LIMIT 1`;
    if (edge !== undefined) {
      await slices(
        () => this.sql<{ rows: number }[]>`
          DELETE FROM prediction_chunks WHERE id IN (SELECT id FROM prediction_chunks WHERE slot <= ${edge.slot} ORDER BY slot LIMIT ${PURGE_SLICE_CHUNKS}) RETURNING rows`,
      );
    }
    const [oldest] = await this.sql<{ s: number | null }[]>`SELECT MIN(slot) AS s FROM prediction_chunks`;
    const before = oldest?.s === null || oldest === undefined ? null : requestIdTimePrefix(oldest.s * SLOT_MS);
    for (;;) {
      const r =
        before === null
          ? await this.sql`DELETE FROM prediction_labels WHERE (request_id, row) IN (SELECT request_id, row FROM prediction_labels ORDER BY request_id LIMIT ${PURGE_SLICE_LABELS})`
          : await this.sql`DELETE FROM prediction_labels WHERE (request_id, row) IN (SELECT request_id, row FROM prediction_labels WHERE request_id < ${before} ORDER BY request_id LIMIT ${PURGE_SLICE_LABELS})`;
      if (r.count === 0) break;
    }
    return removed;
  }
}
