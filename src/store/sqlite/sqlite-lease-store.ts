import type Database from 'better-sqlite3';
import type { LeaseStore } from '../lease-store.js';

/** Leases for the processes of one machine sharing a SQLite file (serve --workers): one upsert, judged by this machine's clock, which they share. */
export class SqliteLeaseStore implements LeaseStore {
  private readonly upsert;
  private readonly remove;

  constructor(db: Database.Database) {
    this.upsert = db.prepare<{ name: string; holder: string; expires: number; now: number }>(
      `INSERT INTO leases (name, holder, expires_at) VALUES (@name, @holder, @expires)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at < @now`,
    );
    this.remove = db.prepare<[string, string]>('DELETE FROM leases WHERE name = ? AND holder = ?');
  }

  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    return this.upsert.run({ name, holder, expires: now + ttlMs, now }).changes === 1;
  }

  async release(name: string, holder: string): Promise<void> {
    this.remove.run(name, holder);
  }
}
