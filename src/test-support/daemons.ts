import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/* What the tests that drive real daemons (HAProxy, nginx, Prometheus) share: finding the binary, skipping loudly, starting and stopping it. */

/** The first of `paths` that runs with `args` (a version flag), or null. */
export function findBinary(paths: readonly string[], args: readonly string[]): string | null {
  for (const p of paths) {
    if (spawnSync(p, args, { stdio: 'ignore' }).status === 0) return p;
  }
  return null;
}

/**
 * Why tests needing `what` cannot run here (null when they can). Outside CI they skip, saying so
 * loudly; with `requireVar`=1 (set by .ci/run) a missing daemon fails them instead.
 */
export function missing(found: boolean, what: string, install: string, skipped: string, requireVar: string): string | null {
  if (found) return null;
  const why = `${what} is not installed (Debian: apt-get install ${install}); ${skipped} are skipped`;
  if (process.env[requireVar] === '1') throw new Error(`${why}, but ${requireVar}=1 says they must run`);
  process.stderr.write(`\n*** ${why} ***\n\n`);
  return why;
}

export interface Daemon {
  readonly child: ChildProcess;
  /** Stops it with `signal` and waits for it to exit, then runs `cleanup`. */
  stop(): Promise<void>;
}

/** Starts `bin` in the foreground and waits until `probe` answers (any HTTP status unless `ok200`). */
export async function startDaemon(bin: string, args: readonly string[], probe: string, opts: { ok200?: boolean; signal?: NodeJS.Signals; cleanup?: () => void } = {}): Promise<Daemon> {
  const name = bin.split('/').at(-1);
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(probe);
      if (!opts.ok200 || res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (i > 300) throw new Error(`${name} did not come up within 15 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          opts.cleanup?.();
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', done);
        child.kill(opts.signal ?? 'SIGTERM');
      }),
  };
}
