import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { migratePostgres, openPostgres, type Sql } from '../store/index.js';
import { freePort } from './server-process.js';

/**
 * A real PostgreSQL server for the tests (Debian's `postgresql` package), on a temporary
 * directory and a loopback port. `npm test` starts one for the whole run (scripts/run-tests.mjs,
 * through postgres-main.ts) and hands its URL down in COALMINE_TEST_POSTGRES_URL; a test file run
 * alone starts its own. Each test gets a database of its own (`testDatabase`).
 */
export interface RunningPostgres {
  /** The server's URL, on its `postgres` database. */
  readonly url: string;
  stop(): Promise<void>;
}

/** The directory holding initdb and postgres: on PATH, or Debian's /usr/lib/postgresql/<major>/bin. */
export function findPostgresBin(): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  try {
    const majors = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    for (const m of majors) {
      const dir = `/usr/lib/postgresql/${m}/bin`;
      if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
    }
  } catch {
    // not installed
  }
  return null;
}

/** PostgreSQL refuses to run as root: as root, the server runs as the package's `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    throw new Error('running as root, and there is no "postgres" user to run PostgreSQL as (apt-get install postgresql creates it)');
  }
}

/** `detached`: the server does not keep this process alive (a test file's own server, stopped at beforeExit). */
export async function startPostgres(opts: { detached?: boolean } = {}): Promise<RunningPostgres & Restartable> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (Debian: apt-get install postgresql)');
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'coalmine-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  // Trust on loopback only, no fsync: a throwaway server for tests, started in about a second.
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'coalmine', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], { stdio: 'pipe', ...(user ?? {}) });
  const port = await freePort();
  const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=400', '-c', 'shared_buffers=64MB'];
  const url = `postgres://coalmine@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const c: ChildProcess = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...(user ?? {}) });
    child = c;
    let stderr = '';
    c.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const exited = new Promise<never>((_, reject) => c.once('exit', (code) => reject(new Error(`postgres exited with ${code}: ${stderr}`))));
    exited.catch(() => undefined);
    const ready = (async () => {
      for (let i = 0; i < 200; i++) {
        const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => undefined });
        try {
          await sql`SELECT 1`;
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        } finally {
          await sql.end({ timeout: 1 });
        }
      }
      throw new Error(`postgres did not accept connections on port ${port}: ${stderr}`);
    })();
    await Promise.race([ready, exited]);
    if (opts.detached) {
      c.unref();
      (c.stderr as unknown as { unref?: () => void }).unref?.();
    }
  };

  /** Fast shutdown (open transactions rolled back, connections closed), the data kept. */
  const halt = () =>
    new Promise<void>((resolve) => {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
      // Held while the server shuts down, which an unref'd child would not hold by itself.
      const hold = setTimeout(() => undefined, 10_000);
      c.once('exit', () => {
        clearTimeout(hold);
        resolve();
      });
      c.kill('SIGINT');
    });

  try {
    await launch();
  } catch (err) {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    halt,
    resume: launch,
    stop: async () => {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A server a test can take away and bring back on the same port, its data kept: a database outage. */
export interface Restartable {
  halt(): Promise<void>;
  resume(): Promise<void>;
}

let own: Promise<RunningPostgres> | undefined;

/** The run's server (COALMINE_TEST_POSTGRES_URL), or one this process starts and stops at exit. */
async function server(): Promise<string> {
  const given = process.env.COALMINE_TEST_POSTGRES_URL;
  if (given) return given;
  own ??= startPostgres({ detached: true }).then((pg) => {
    process.once('beforeExit', () => void pg.stop());
    return pg;
  });
  return (await own).url;
}

/** Why PostgreSQL tests cannot run here, or null when they can. In CI (COALMINE_REQUIRE_POSTGRES=1) they must. */
export function postgresUnavailable(): string | null {
  if (process.env.COALMINE_TEST_POSTGRES_URL) return null;
  if (findPostgresBin()) return null;
  const why = 'PostgreSQL is not installed (Debian: apt-get install postgresql); the PostgreSQL store tests are skipped';
  if (process.env.COALMINE_REQUIRE_POSTGRES === '1') throw new Error(`${why}, but COALMINE_REQUIRE_POSTGRES=1 says they must run`);
  process.stderr.write(`\n*** ${why} ***\n\n`);
  return why;
}

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

let counter = 0;

/** A new, empty database on the test server (or on `on`, a server the test runs itself), for one test or one group of replicas. */
export async function testDatabase(on?: string): Promise<TestDatabase> {
  const base = on ?? (await server());
  const name = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = postgres(base, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const a = postgres(base, { max: 1, onnotice: () => undefined });
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}

/** A fresh database, migrated, with a connection pool on it: what a PostgreSQL store test starts from. */
export async function migratedDatabase(): Promise<{ readonly url: string; readonly sql: Sql; close(): Promise<void> }> {
  const db = await testDatabase();
  const sql = openPostgres(db.url, { max: 4 });
  await migratePostgres(sql);
  return {
    url: db.url,
    sql,
    close: async () => {
      await sql.end({ timeout: 5 });
      await db.drop();
    },
  };
}
