import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchServer {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * Starts bench-server.ts in its own process (so the load generator does not share its event loop)
 * on a throwaway data directory, and resolves once it listens. With `upstream`, the server is a
 * gateway whose model "churn" is served by that Open Inference Protocol server.
 */
export async function startBenchServer(opts: { upstream?: string; env?: Record<string, string> } = {}): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'coalmine-bench-'));
  const port = 30_000 + Math.floor(Math.random() * 10_000);
  const server = await startScript('bench-server.ts', [dataDir, String(port), ...(opts.upstream ? [opts.upstream] : [])], opts.env);
  return {
    ...server,
    stop: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs one of bench/'s scripts in its own process (through tsx) and resolves once it prints `ready <url>`; stop() sends SIGTERM and waits. */
export async function startScript(script: string, args: readonly string[], env: Record<string, string> = {}): Promise<BenchServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.stdout.on('data', (d: Buffer) => {
      const m = /ready (\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
  });
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
