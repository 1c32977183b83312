import type Database from 'better-sqlite3';
import type { Label, ModelSettings, PredictionLogEntry, Variant } from '../../domain/index.js';
import type { BucketRow, PredictionKey, PredictionLogStore, SettingsStore, TelemetryStore } from '../telemetry-store.js';
import { encodeLogRows, packedBytes } from './prediction-log-codec.js';
import { chunkWriter, labelWriter, logPurger, logReader, nextTurn } from './prediction-log-chunks.js';
import { changeRecorder } from './sqlite-change-stream.js';

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

/** The prediction log on the given connection (see prediction-log-chunks.ts for how it is stored). */
export class SqlitePredictionLogStore implements PredictionLogStore {
  private readonly write;
  private readonly read;
  private readonly label;
  private readonly purger;

  constructor(db: Database.Database) {
    this.write = chunkWriter(db);
    this.read = logReader(db);
    this.label = labelWriter(db);
    this.purger = logPurger(db);
  }

  async append(entries: readonly PredictionLogEntry[]): Promise<void> {
    this.write(packedBytes(encodeLogRows(entries)));
  }

  async find(keys: readonly PredictionKey[]): Promise<PredictionLogEntry[]> {
    return this.read(keys);
  }

  async setLabels(labels: readonly (PredictionKey & { label: Label; at: number })[]): Promise<PredictionKey[]> {
    return this.label(labels);
  }

  /** In slices, with a turn of the event loop between them: this connection is the main thread's. */
  purge(beforeMs: number, maxRows: number): Promise<number> {
    return this.purger(beforeMs, maxRows, nextTurn);
  }
}

export class SqliteSettingsStore implements SettingsStore {
  private readonly select;
  private readonly upsert;
  private readonly saveAndRecord;

  constructor(db: Database.Database) {
    const record = changeRecorder(db);
    this.select = db.prepare<[string], { data: string }>('SELECT data FROM model_settings WHERE model = ?');
    this.upsert = db.prepare(
      'INSERT INTO model_settings (model, data, updated_at) VALUES (?, ?, ?) ON CONFLICT (model) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at',
    );
    this.saveAndRecord = db.transaction((model: string, data: string, at: string) => {
      this.upsert.run(model, data, at);
      record({ kind: 'settings', model });
    });
  }

  async get(model: string): Promise<ModelSettings | undefined> {
    const row = this.select.get(model);
    return row ? (JSON.parse(row.data) as ModelSettings) : undefined;
  }

  async save(model: string, settings: ModelSettings, at: string): Promise<void> {
    this.saveAndRecord(model, JSON.stringify(settings), at);
  }
}
