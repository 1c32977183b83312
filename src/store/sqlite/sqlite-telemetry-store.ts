import type Database from 'better-sqlite3';
import type { Label, ModelSettings, PredictionLogEntry, Variant } from '../../domain/index.js';
import type { BucketRow, PredictionKey, PredictionLogStore, SettingsStore, TelemetryStore } from '../telemetry-store.js';
import { decodeValue, encodeValue, logPurger, logRowWriter, nextTurn, toLogRow } from './prediction-log-rows.js';

interface BucketRecord {
  model: string;
  bucket_start: number;
  variant: Variant;
  version: number;
  revision: number;
  forced: number;
  writer: string;
  data: string;
}

interface LogRecord {
  request_id: string;
  row: number;
  model: string;
  variant: Variant;
  version: number;
  revision: number;
  forced: number;
  created_at: number;
  prediction: string;
  probability: number | null;
  label: string | null;
  labelled_at: number | null;
}

export class SqliteTelemetryStore implements TelemetryStore {
  private readonly upsert;
  private readonly select;
  private readonly purge;

  constructor(private readonly db: Database.Database) {
    this.upsert = db.prepare(
      `INSERT INTO telemetry_buckets (model, bucket_start, variant, version, revision, forced, writer, data)
       VALUES (@model, @bucketStart, @variant, @version, @revision, @forced, @writer, @data)
       ON CONFLICT (model, bucket_start, variant, version, revision, forced, writer) DO UPDATE SET data = excluded.data`,
    );
    this.select = db.prepare<[string, number, number], BucketRecord>(
      'SELECT * FROM telemetry_buckets WHERE model = ? AND bucket_start >= ? AND bucket_start < ? ORDER BY bucket_start',
    );
    this.purge = db.prepare('DELETE FROM telemetry_buckets WHERE bucket_start < ?');
  }

  async writeBuckets(rows: readonly BucketRow[]): Promise<void> {
    this.db.transaction(() => {
      for (const r of rows) this.upsert.run({ ...r, forced: r.forced ? 1 : 0 });
    })();
  }

  async readBuckets(model: string, fromMs: number, toMs: number): Promise<BucketRow[]> {
    return this.select.all(model, fromMs, toMs).map((r) => ({
      model: r.model,
      bucketStart: r.bucket_start,
      variant: r.variant,
      version: r.version,
      revision: r.revision,
      forced: r.forced === 1,
      writer: r.writer,
      data: r.data,
    }));
  }

  async purgeBuckets(beforeMs: number): Promise<number> {
    return this.purge.run(beforeMs).changes;
  }
}

export class SqlitePredictionLogStore implements PredictionLogStore {
  private readonly write;
  private readonly findOne;
  private readonly label;
  private readonly purger;

  constructor(private readonly db: Database.Database) {
    this.write = logRowWriter(db);
    this.findOne = db.prepare<[string, number], LogRecord>('SELECT * FROM prediction_log WHERE request_id = ? AND row = ?');
    this.label = db.prepare('UPDATE prediction_log SET label = ?, labelled_at = ? WHERE request_id = ? AND row = ? AND label IS NULL');
    this.purger = logPurger(db);
  }

  async append(entries: readonly PredictionLogEntry[]): Promise<void> {
    this.write(entries.map(toLogRow));
  }

  async find(keys: readonly PredictionKey[]): Promise<PredictionLogEntry[]> {
    const out: PredictionLogEntry[] = [];
    for (const k of keys) {
      const r = this.findOne.get(k.requestId, k.row);
      if (!r) continue;
      out.push({
        requestId: r.request_id,
        row: r.row,
        model: r.model,
        variant: r.variant,
        version: r.version,
        revision: r.revision,
        forced: r.forced === 1,
        createdAt: r.created_at,
        prediction: decodeValue(r.prediction),
        probability: r.probability,
        label: r.label === null ? null : (decodeValue(r.label) as Label),
        labelledAt: r.labelled_at,
      });
    }
    return out;
  }

  async setLabels(labels: readonly (PredictionKey & { label: Label; at: number })[]): Promise<PredictionKey[]> {
    return this.db.transaction(() => labels.filter((l) => this.label.run(encodeValue(l.label), l.at, l.requestId, l.row).changes === 1))();
  }

  /** In slices, with a turn of the event loop between them: this connection is the main thread's. */
  purge(beforeMs: number, maxRows: number): Promise<number> {
    return this.purger(beforeMs, maxRows, nextTurn);
  }
}

export class SqliteSettingsStore implements SettingsStore {
  private readonly select;
  private readonly upsert;

  constructor(db: Database.Database) {
    this.select = db.prepare<[string], { data: string }>('SELECT data FROM model_settings WHERE model = ?');
    this.upsert = db.prepare(
      'INSERT INTO model_settings (model, data, updated_at) VALUES (?, ?, ?) ON CONFLICT (model) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at',
    );
  }

  async get(model: string): Promise<ModelSettings | undefined> {
    const row = this.select.get(model);
    return row ? (JSON.parse(row.data) as ModelSettings) : undefined;
  }

  async save(model: string, settings: ModelSettings, at: string): Promise<void> {
    this.upsert.run(model, JSON.stringify(settings), at);
  }
}
