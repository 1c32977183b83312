import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../domain/index.js';

export interface DataDirLock {
  release(): void;
}

const LOCK_FILE = 'coalmine.lock';
const OWNER_FILE = 'coalmine.lock.owner';

/**
 * One server owns a data directory: a second one would keep routing from its own copy of the
 * state while showing the other's changes. The lock is SQLite's exclusive lock on a small file
 * (an OS file lock), so it is released when the process dies, even by SIGKILL, and no stale lock
 * is ever left to clean up.
 */
export function lockDataDir(dataDir: string, now: () => Date = () => new Date()): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, LOCK_FILE), { timeout: 0 });
  try {
    db.pragma('journal_mode = DELETE');
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock, and in this mode it is held until the connection closes.
    db.exec('CREATE TABLE IF NOT EXISTS lock (held INTEGER); DELETE FROM lock; INSERT INTO lock VALUES (1)');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    let owner = 'another coalmine process';
    try {
      owner = readFileSync(join(dataDir, OWNER_FILE), 'utf8').trim();
    } catch {
      // No owner note: keep the generic wording.
    }
    throw new AppError(
      'conflict',
      `the data directory ${dataDir} is in use by ${owner}; stop that server first, or give this one another --data-dir (COALMINE_DATA_DIR). Until replicas share a PostgreSQL state, one server owns a data directory.`,
    );
  }
  writeFileSync(join(dataDir, OWNER_FILE), `coalmine process ${process.pid} on ${hostname()} (started ${now().toISOString()})\n`);
  return { release: () => db.close() };
}

/**
 * For a `serve --workers` worker: checks that the data directory is locked by its primary (the
 * owner note names the parent process), so workers share a directory only with their own
 * siblings. Nothing to release: the primary holds the lock.
 */
export function verifyLockHeldBy(dataDir: string, primaryPid: number): DataDirLock {
  let owner = '';
  try {
    owner = readFileSync(join(dataDir, OWNER_FILE), 'utf8');
  } catch {
    // no note: refused below
  }
  if (!owner.startsWith(`coalmine process ${primaryPid} `)) {
    throw new AppError('conflict', `this worker's primary (process ${primaryPid}) does not hold the data directory ${dataDir} (${owner.trim() || 'no owner note'}); start workers with coalmine serve --workers`);
  }
  return { release: () => undefined };
}
