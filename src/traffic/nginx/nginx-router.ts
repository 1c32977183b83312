import { execFile } from 'node:child_process';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { request } from 'undici';
import { appError, type NginxTrafficSpec } from '../../domain/index.js';
import { hostPort, type WeightPlan, type WeightRouter, type WeightTarget } from '../weight-router.js';
import { nginxPlan, renderUpstream, upstreamDigest } from './nginx-upstream.js';

/**
 * What a rollout spec's `traffic:` says of nginx (docs/controller.md), the include file and its
 * upstream, with the commands that check and reload nginx, which the server's configuration gives.
 */
export type NginxRouterConfig = Omit<NginxTrafficSpec, 'router' | 'readiness'> & { readonly test: string; readonly reload: string };

const sh = (command: string, timeoutMs: number) =>
  new Promise<{ ok: boolean; output: string }>((resolve) => {
    execFile('/bin/sh', ['-c', command], { timeout: timeoutMs }, (err, stdout, stderr) => resolve({ ok: !err, output: `${stdout}${stderr}`.trim() || (err?.message ?? '') }));
  });

/**
 * Drives nginx through a file: writes the upstream include atomically (a temporary file renamed
 * over it), checks the whole configuration with `nginx -t`, reloads, and verifies through the
 * status server it adds to the file. A configuration nginx rejects is put back as it was, so
 * nginx keeps serving the last good one.
 */
export class NginxRouter implements WeightRouter {
  readonly kind = 'nginx';
  readonly where: string;

  constructor(
    private readonly config: NginxRouterConfig,
    private readonly model: string,
    private readonly timeoutMs = 10_000,
  ) {
    if (config.status) hostPort(config.status);
    this.where = `nginx upstream ${config.upstream} in ${config.file}`;
  }

  plan(canaryWeightBp: number): WeightPlan {
    return nginxPlan(canaryWeightBp);
  }

  async setWeights(target: WeightTarget): Promise<WeightPlan> {
    for (const e of [target.stable, target.canary]) {
      if (e === null) continue;
      try {
        hostPort(e);
      } catch (err) {
        throw appError('invalid_request', `${(err as Error).message}; an nginx upstream server's endpoint is host:port`);
      }
    }
    const text = renderUpstream({ upstream: this.config.upstream, model: this.model, status: this.config.status ?? null, keepalive: this.config.keepalive ?? 32 }, target);
    const previous = await readFile(this.config.file, 'utf8').catch(() => null);
    if (previous !== text) {
      const tmp = `${this.config.file}.coalmine-${process.pid}.tmp`;
      await writeFile(tmp, text).catch((err: Error) => {
        throw appError('router_unavailable', `cannot write ${this.config.file}: ${err.message}`);
      });
      await rename(tmp, this.config.file);
      const test = await sh(this.config.test, this.timeoutMs);
      if (!test.ok) {
        if (previous === null) await rm(this.config.file, { force: true });
        else await writeFile(this.config.file, previous);
        throw appError('router_unavailable', `nginx rejected the upstream coalmine wrote to ${this.config.file}, which is put back as it was: ${test.output.slice(0, 500)}`);
      }
      const reload = await sh(this.config.reload, this.timeoutMs);
      if (!reload.ok) throw appError('router_unavailable', `"${this.config.reload}" failed: ${reload.output.slice(0, 500)}`);
    }
    // A reload is asynchronous: new workers take over within moments; wait until they serve the new upstream.
    for (let i = 0; ; i++) {
      const ok = await this.verify(target);
      if (ok !== false) break;
      if (i >= 50) throw appError('router_unavailable', `nginx was reloaded but its status server at ${this.config.status} still does not serve the new upstream ${this.config.upstream}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return this.plan(target.canary === null ? 0 : target.canaryWeightBp);
  }

  async verify(target: WeightTarget): Promise<boolean | null> {
    if (!this.config.status) return null;
    try {
      const res = await request(`http://${this.config.status}/coalmine/${this.config.upstream}`, { headers: { host: `coalmine-${this.config.upstream}` }, headersTimeout: 2000, bodyTimeout: 2000 });
      const body = await res.body.text();
      return res.statusCode === 200 && body === upstreamDigest(target);
    } catch {
      return false;
    }
  }
}
