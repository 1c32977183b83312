import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one slice of load measured, whichever generator made it. */
export interface LoadResult {
  readonly rps: number;
  readonly requests: number;
  /** Latency percentiles (ms). */
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  /** Connect, read and write errors and timeouts. */
  readonly errors: number;
}

/** wrk's path when it is installed (Debian's `wrk` package), else null. */
export function wrkPath(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** A Lua long-bracket string that no body can close early. */
function luaString(s: string): string {
  let eq = '';
  while (s.includes(`]${eq}]`)) eq += '=';
  return `[${eq}[${s}]${eq}]`;
}

/**
 * wrk's script: every request is pre-formatted once per thread (`init`), so the Lua per request is
 * a table index; `done` prints the slice's figures as one JSON line (latency in µs).
 */
export function wrkScript(path: string, bodies: readonly string[], headers: Readonly<Record<string, string>> = {}): string {
  const hdrs = Object.entries({ 'Content-Type': 'application/json', ...headers })
    .map(([k, v]) => `[ ${luaString(k)} ] = ${luaString(v)}`)
    .join(', ');
  return `local bodies = {
${bodies.map((b) => `  ${luaString(b)},`).join('\n')}
}
local requests = {}
local n = #bodies
local i = 0
function init(args)
  for k = 1, n do requests[k] = wrk.format("POST", ${luaString(path)}, { ${hdrs} }, bodies[k]) end
end
function request()
  i = i % n + 1
  return requests[i]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%.0f,"duration_us":%.0f,"p50_us":%.0f,"p99_us":%.0f,"status":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,"timeout":%.0f}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status, e.connect, e.read, e.write, e.timeout))
end
`;
}

interface WrkSummary {
  requests: number;
  duration_us: number;
  p50_us: number;
  p99_us: number;
  status: number;
  connect: number;
  read: number;
  write: number;
  timeout: number;
}

/** Reads the JSON line the script's `done` printed among wrk's own report. */
export function parseWrkOutput(stdout: string): LoadResult {
  const line = stdout.split('\n').find((l) => l.startsWith('{"requests"'));
  if (!line) throw new Error(`wrk printed no summary; its output was:\n${stdout}`);
  const s = JSON.parse(line) as WrkSummary;
  return {
    rps: s.requests / (s.duration_us / 1e6),
    requests: s.requests,
    p50: s.p50_us / 1000,
    p99: s.p99_us / 1000,
    non2xx: s.status,
    errors: s.connect + s.read + s.write + s.timeout,
  };
}

/**
 * Drives wrk (C, epoll) at a URL: two threads, `connections` keep-alive connections, each request
 * a POST with one of `bodies` in turn. Its script is written once per body set.
 */
export class WrkLoad {
  private readonly dir = mkdtempSync(join(tmpdir(), 'coalmine-wrk-'));
  private scripts = 0;

  constructor(private readonly wrk: string) {}

  script(path: string, bodies: readonly string[], headers?: Readonly<Record<string, string>>): string {
    const file = join(this.dir, `load-${this.scripts++}.lua`);
    writeFileSync(file, wrkScript(path, bodies, headers));
    return file;
  }

  run(url: string, script: string, seconds: number, connections: number): Promise<LoadResult> {
    const args = [`-t${Math.min(2, connections)}`, `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, url];
    return new Promise((resolve, reject) => {
      execFile(this.wrk, args, { encoding: 'utf8', timeout: (seconds + 30) * 1000 }, (err, stdout, stderr) => {
        if (err) return reject(new Error(`wrk ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        try {
          resolve(parseWrkOutput(stdout));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
