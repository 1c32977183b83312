import type { LeaseStore } from '../lease-store.js';
import type { Sql } from './postgres-database.js';

/** Leases in PostgreSQL: one upsert takes a free or expired lease, or renews one's own; the database's clock decides expiry. */
export class PostgresLeaseStore implements LeaseStore {
  constructor(private readonly sql: Sql) {}

  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const rows = await this.sql`
      INSERT INTO leases (name, holder, expires_at)
      VALUES (${name}, ${holder}, (extract(epoch FROM clock_timestamp()) * 1000)::bigint + ${ttlMs})
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE leases.holder = excluded.holder OR leases.expires_at < (extract(epoch FROM clock_timestamp()) * 1000)::bigint
      RETURNING holder`;
    return rows.length === 1;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.sql`DELETE FROM leases WHERE name = ${name} AND holder = ${holder}`;
  }
}
