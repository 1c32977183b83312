import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate, type MigrationNotice } from './migrations.js';

export type Durability = 'FULL' | 'NORMAL';

/**
 * Opens (and migrates) the SQLite file. WAL lets readers run beside the writer. `FULL` syncs every
 * commit to disk, so acknowledged state changes survive power loss; `NORMAL` (for telemetry and
 * the prediction log) survives a process crash and skips the per-commit fsync.
 */
export function openDatabase(file: string, durability: Durability = 'FULL', notice?: MigrationNotice): Database.Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durability}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, undefined, notice);
  return db;
}
