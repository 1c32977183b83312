import type { ArtifactBlobs } from '../artifact-blobs.js';
import type { Sql } from './postgres-database.js';

/** ONNX files in PostgreSQL (`bytea`), bounded by the upload limit; the same bytes are stored once. */
export class PostgresArtifactBlobs implements ArtifactBlobs {
  constructor(private readonly sql: Sql) {}

  async put(sha256: string, bytes: Uint8Array): Promise<void> {
    await this.sql`INSERT INTO artifacts (sha256, bytes, size_bytes, created_at) VALUES (${sha256}, ${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)}, ${bytes.byteLength}, ${new Date().toISOString()})
                   ON CONFLICT (sha256) DO NOTHING`;
  }

  async get(sha256: string): Promise<Uint8Array | undefined> {
    const [row] = await this.sql<{ bytes: Buffer }[]>`SELECT bytes FROM artifacts WHERE sha256 = ${sha256}`;
    return row?.bytes;
  }
}
