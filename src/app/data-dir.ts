import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AppError } from '../domain/index.js';

/** Written once a data directory has a database; its presence says "this directory had state". */
const MARKER = 'coalmine.initialized';

/**
 * Uploads are written to `.<name>.<pid>.tmp` and renamed when complete; a process killed mid-upload
 * leaves the temporary file behind. Called only while this process holds the data directory's
 * lock, so no other server's upload in progress can be removed.
 */
export function removeInterruptedUploads(modelsDir: string, log: Logger): void {
  if (!existsSync(modelsDir)) return;
  const stale = readdirSync(modelsDir).filter((n) => n.startsWith('.') && n.endsWith('.tmp'));
  for (const name of stale) rmSync(join(modelsDir, name), { force: true });
  if (stale.length > 0) log.info({ dir: modelsDir, files: stale.length }, 'removed files of interrupted uploads');
}

/**
 * An empty database in a data directory that had state means the state was lost (a truncated or
 * replaced coalmine.db), not a new install: starting would quietly serve nothing and forget every
 * model, version and rollout. Checked before the database is opened, so a refused start writes nothing.
 */
export function checkDatabaseIsNotLost(dataDir: string, dbFile: string): void {
  const marker = join(dataDir, MARKER);
  const empty = !existsSync(dbFile) || statSync(dbFile).size === 0;
  if (empty && existsSync(marker)) {
    const models = join(dataDir, 'models');
    const artifacts = existsSync(models) ? readdirSync(models).filter((n) => n.endsWith('.onnx')).length : 0;
    throw new AppError(
      'conflict',
      `the database ${dbFile} is empty, but the data directory ${dataDir} has held coalmine state${artifacts > 0 ? ` (it has ${artifacts} model files)` : ''}: the database was truncated or replaced. ` +
        `Restore coalmine.db from a backup; or, to start over on purpose, delete ${marker} (and the models folder if you do not need its files).`,
    );
  }
}

/** Marks the directory as holding state, once its database exists (see checkDatabaseIsNotLost). */
export function markDataDir(dataDir: string): void {
  const marker = join(dataDir, MARKER);
  if (!existsSync(marker)) writeFileSync(marker, 'This data directory holds coalmine state; see coalmine.db.\n');
}
