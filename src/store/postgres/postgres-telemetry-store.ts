import type { ModelSettings, Variant } from '../../domain/index.js';
import type { BucketRow, SettingsStore, TelemetryStore } from '../telemetry-store.js';
import type { Sql } from './postgres-database.js';
import { announce } from './postgres-registry-store.js';

interface BucketRecord {
  model: string;
  bucket_start: number;
  variant: Variant;
  version: number;
  revision: number;
  forced: boolean;
  writer: string;
  data: string;
}

/** Telemetry buckets on PostgreSQL: each replica upserts only its own rows (`writer`), and reads merge them all. */
export class PostgresTelemetryStore implements TelemetryStore {
  constructor(private readonly sql: Sql) {}

  async writeBuckets(rows: readonly BucketRow[]): Promise<void> {
    if (rows.length === 0) return;
    const records = rows.map((r) => ({ model: r.model, bucket_start: r.bucketStart, variant: r.variant, version: r.version, revision: r.revision, forced: r.forced, writer: r.writer, data: r.data }));
    // One statement for the whole flush; ON CONFLICT rewrites the open bucket this writer flushed before.
    await this.sql`
      INSERT INTO telemetry_buckets ${this.sql(records, 'model', 'bucket_start', 'variant', 'version', 'revision', 'forced', 'writer', 'data')}
      ON CONFLICT (model, bucket_start, variant, version, revision, forced, writer) DO UPDATE SET data = excluded.data`;
  }

  async readBuckets(model: string, fromMs: number, toMs: number): Promise<BucketRow[]> {
    const rows = await this.sql<BucketRecord[]>`
      SELECT * FROM telemetry_buckets WHERE model = ${model} AND bucket_start >= ${fromMs} AND bucket_start < ${toMs} ORDER BY bucket_start`;
    return rows.map((r) => ({ model: r.model, bucketStart: r.bucket_start, variant: r.variant, version: r.version, revision: r.revision, forced: r.forced, writer: r.writer, data: r.data }));
  }

  async purgeBuckets(beforeMs: number): Promise<number> {
    const r = await this.sql`DELETE FROM telemetry_buckets WHERE bucket_start < ${beforeMs}`;
    return r.count;
  }
}

export class PostgresSettingsStore implements SettingsStore {
  constructor(private readonly sql: Sql) {}

  async get(model: string): Promise<ModelSettings | undefined> {
    const [row] = await this.sql<{ data: string }[]>`SELECT data FROM model_settings WHERE model = ${model}`;
    return row ? (JSON.parse(row.data) as ModelSettings) : undefined;
  }

  async save(model: string, settings: ModelSettings, at: string): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`INSERT INTO model_settings (model, data, updated_at) VALUES (${model}, ${JSON.stringify(settings)}, ${at})
               ON CONFLICT (model) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`;
      await announce(tx, { kind: 'settings', model });
    });
  }
}
