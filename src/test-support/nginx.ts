import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, missing, startDaemon } from './daemons.js';
import { freePort } from './server-process.js';

export function nginxBinary(): string | null {
  return findBinary(['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx'], ['-v']);
}

/** Why the nginx router tests cannot run here, or null. In CI (COALMINE_REQUIRE_NGINX=1) they must. */
export function nginxUnavailable(): string | null {
  return missing(nginxBinary() !== null, 'nginx', 'nginx-light', 'the nginx router tests', 'COALMINE_REQUIRE_NGINX');
}

export interface RunningNginx {
  readonly url: string;
  /** The include file coalmine's router writes (it does not exist until then). */
  readonly upstreamFile: string;
  /** The commands the router runs for this nginx instead of the defaults. */
  readonly test: string;
  readonly reload: string;
  readonly dir: string;
  /** The master's worker processes now (one, or two while a reload winds down). */
  workers(): number[];
  /** Resolves once a reload has wound down: the old worker has exited and one worker serves. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Debian's nginx on loopback, proxying / to `upstream <name>`, which lives in an include file the
 * router writes. Until the file exists, a placeholder upstream points at `initial`.
 */
export async function startNginx(opts: { upstream: string; initial: string; keepalive?: number }): Promise<RunningNginx> {
  const bin = nginxBinary();
  if (!bin) throw new Error('nginx is not installed (Debian: apt-get install nginx-light)');
  const dir = mkdtempSync(join(tmpdir(), 'coalmine-nginx-'));
  mkdirSync(join(dir, 'upstreams'));
  const port = await freePort();
  const upstreamFile = join(dir, 'upstreams', `${opts.upstream}.conf`);
  writeFileSync(upstreamFile, `upstream ${opts.upstream} { server ${opts.initial};${opts.keepalive ? ` keepalive ${opts.keepalive};` : ''} }\n`);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/upstreams/*.conf;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://${opts.upstream};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`,
  );
  const base = `${bin} -p ${dir} -c ${join(dir, 'nginx.conf')}`;
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon(bin, ['-p', dir, '-c', join(dir, 'nginx.conf')], url, { signal: 'SIGQUIT', cleanup: () => rmSync(dir, { recursive: true, force: true }) });
  const child = daemon.child;
  const workers = () => readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return {
    url,
    upstreamFile,
    dir,
    test: `${base} -t -q`,
    reload: `${base} -s reload`,
    workers: () => workers(),
    settled: async () => {
      for (let i = 0; workers().length !== 1; i++) {
        if (i > 500) throw new Error('nginx still runs an old worker 10 s after a reload');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: daemon.stop,
  };
}
