import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, missing, startDaemon } from './daemons.js';
import { freePort } from './server-process.js';

/**
 * A real HAProxy (Debian's `haproxy`) in front of coalmine replicas on loopback, for the tests: round
 * robin, health-checked on /readyz every 200 ms, and a request whose connection fails is sent to
 * another server (`retries`, `option redispatch`), as a production load balancer is set up.
 */
export interface RunningHaproxy {
  readonly url: string;
  stop(): Promise<void>;
}

export function haproxyBinary(): string | null {
  return findBinary(['/usr/sbin/haproxy', '/usr/bin/haproxy', '/usr/local/sbin/haproxy'], ['-v']);
}

/** Why the load-balancer tests cannot run here, or null. In CI (COALMINE_REQUIRE_HAPROXY=1) they must. */
export function haproxyUnavailable(): string | null {
  return missing(haproxyBinary() !== null, 'HAProxy', 'haproxy', 'the load-balancer and HAProxy router tests', 'COALMINE_REQUIRE_HAPROXY');
}

export async function startHaproxy(backends: readonly string[]): Promise<RunningHaproxy> {
  const port = await freePort();
  const servers = backends.map((b, i) => `  server r${i + 1} ${new URL(b).host} check`).join('\n');
  const run = await runHaproxy(
    () => `global
  maxconn 2000
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  retries 3
  # A request sent on a connection the killed replica took down with it is retried elsewhere
  # (predictions are safe to repeat); only a request the replica had started to answer fails.
  retry-on conn-failure empty-response junk-response
  option redispatch
  option http-keep-alive
frontend coalmine
  bind 127.0.0.1:${port}
  default_backend replicas
backend replicas
  balance roundrobin
  option httpchk GET /readyz
  default-server inter 200ms fall 2 rise 2
${servers}
`,
    `http://127.0.0.1:${port}/healthz`,
  );
  return { url: `http://127.0.0.1:${port}`, stop: run.stop };
}

/** A HAProxy whose backend coalmine drives through the runtime API: two server slots and a stats socket. */
export interface WeightedHaproxy extends RunningHaproxy {
  /** The stats socket: a unix path, or 127.0.0.1:port with `tcp: true`. */
  readonly socket: string;
  /** HAProxy's own Prometheus exporter, http://127.0.0.1:port/metrics. */
  readonly metricsUrl: string;
  readonly backend: string;
}

/**
 * `backend model` with slots `stable` (at `stable`) and `canary` (weight 0, at `canary` or a port
 * nothing listens on), balanced round robin, a stats socket at level admin, and HAProxy's
 * Prometheus exporter on a port of its own.
 */
export async function startWeightedHaproxy(opts: { stable: string; canary?: string; tcp?: boolean }): Promise<WeightedHaproxy> {
  const [port, statsPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  let socket = `127.0.0.1:${statsPort}`;
  const run = await runHaproxy(
    (dir) => {
      if (!opts.tcp) socket = join(dir, 'admin.sock');
      return `global
  maxconn 2000
  stats socket ${opts.tcp ? `ipv4@${socket}` : socket} level admin
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
frontend model
  bind 127.0.0.1:${port}
  default_backend model
frontend stats
  bind 127.0.0.1:${metricsPort}
  http-request use-service prometheus-exporter if { path /metrics }
backend model
  balance roundrobin
  server stable ${opts.stable} weight 256
  server canary ${opts.canary ?? '127.0.0.1:9'} weight 0
`;
    },
    `http://127.0.0.1:${metricsPort}/metrics`,
  );
  return { url: `http://127.0.0.1:${port}`, socket, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, backend: 'model', stop: run.stop };
}

/** Starts Debian's HAProxy on the config `render` writes into a fresh directory, and waits until `probe` answers 200. */
async function runHaproxy(render: (dir: string) => string, probe: string): Promise<{ stop(): Promise<void> }> {
  const bin = haproxyBinary();
  if (!bin) throw new Error('HAProxy is not installed (Debian: apt-get install haproxy)');
  const dir = mkdtempSync(join(tmpdir(), 'coalmine-haproxy-'));
  writeFileSync(join(dir, 'haproxy.cfg'), render(dir));
  return startDaemon(bin, ['-db', '-f', join(dir, 'haproxy.cfg')], probe, { ok200: true, cleanup: () => rmSync(dir, { recursive: true, force: true }) });
}
