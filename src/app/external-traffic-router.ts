import { request } from 'undici';
import { appError, endpointOf, isUpstream, type ModelVersion, type TrafficSpec, type Variant } from '../domain/index.js';
import type { VariantTarget } from '../metrics/index.js';
import type { ModelRegistry } from '../registry/index.js';
import type { RoutingState, TrafficRouter } from '../rollout/index.js';
import { backendOf, type WeightRouter, type WeightTarget } from '../traffic/index.js';

/**
 * The TrafficRouter of a rollout whose traffic a proxy splits: the registry keeps the versions'
 * lifecycle (deploy, promote, clear) and the record every view reads, and the proxy's
 * WeightRouter carries each change out. A change reaches the proxy, and is verified there,
 * before the registry records it, so a proxy that fails leaves the record where it was and the
 * next reconcile tries again.
 */
export class ExternalTrafficRouter implements TrafficRouter {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly weights: WeightRouter,
    private readonly spec: TrafficSpec,
  ) {}

  private async endpoint(model: string, version: number): Promise<string> {
    const v = await this.registry.version(model, version);
    const e = endpointOf(v);
    if (e === null) throw appError('invalid_request', `version ${version} of "${model}" has no endpoint for ${this.weights.kind} to send traffic to: register it with --endpoint host:port (or as --upstream URL)`);
    return e;
  }

  private async target(model: string, stable: number, canary: number | null, weightBp: number): Promise<WeightTarget> {
    return { stable: await this.endpoint(model, stable), canary: canary === null ? null : await this.endpoint(model, canary), canaryWeightBp: canary === null ? 0 : weightBp };
  }

  async current(model: string): Promise<RoutingState> {
    const r = (await this.registry.get(model)).routing;
    const weightBp = r.canaryVersion === null ? 0 : r.canaryWeightBp;
    let inSync: boolean;
    try {
      inSync = (await this.weights.verify(await this.target(model, r.stableVersion, r.canaryVersion, weightBp))) !== false;
    } catch {
      inSync = false;
    }
    return { stableVersion: r.stableVersion, canaryVersion: r.canaryVersion, weightBp, revision: r.revision, inSync };
  }

  async check(model: string, version: number): Promise<void> {
    const r = (await this.registry.get(model)).routing;
    if (r.stableVersion === version) throw appError('conflict', `version ${version} of "${model}" is already stable; roll out a different version`);
    const target = await this.target(model, r.stableVersion, version, 0);
    for (const [role, v] of [['stable', r.stableVersion], ['canary', version]] as const) {
      const why = await this.unready(model, v);
      if (why !== undefined) throw appError('upstream_unavailable', `${role} v${v} is not ready, so the rollout does not start: ${why}`);
    }
    // The proxy must be reachable and hold the slots now; verify() reads them without changing anything.
    await this.weights.verify(target);
  }

  async apply(model: string, version: number, weightBp: number): Promise<number> {
    const r = (await this.registry.get(model)).routing;
    await this.weights.setWeights(await this.target(model, r.stableVersion, version, weightBp));
    if (r.canaryVersion !== version) return (await this.registry.deploy(model, version, weightBp)).routing.revision;
    if (r.canaryWeightBp !== weightBp) return (await this.registry.setWeight(model, weightBp)).routing.revision;
    return r.revision;
  }

  async promote(model: string, version: number): Promise<void> {
    const r = (await this.registry.get(model)).routing;
    // The stable slot moves to the new version and takes all the traffic; the canary slot is left without any.
    await this.weights.setWeights({ stable: await this.endpoint(model, version), canary: null, canaryWeightBp: 0 });
    if (r.stableVersion === version) return;
    if (r.canaryVersion !== version) await this.registry.deploy(model, version, 0);
    await this.registry.promote(model);
  }

  async clear(model: string, reason: string): Promise<void> {
    const r = (await this.registry.get(model)).routing;
    await this.weights.setWeights({ stable: await this.endpoint(model, r.stableVersion), canary: null, canaryWeightBp: 0 });
    if (r.canaryVersion !== null) await this.registry.rollback(model, reason);
  }

  effectiveBp(weightBp: number): number {
    return this.weights.plan(weightBp).effectiveBp;
  }

  async unready(model: string, version: number): Promise<string | undefined> {
    const v = await this.registry.version(model, version);
    if (this.spec.readiness) return httpReadiness(this.spec.readiness, v);
    // On Kubernetes, the version's Deployment says (seed 003's verify_deployments_health).
    const endpoint = endpointOf(v);
    if (this.weights.unready && endpoint !== null) return this.weights.unready(endpoint);
    if (!isUpstream(v.source)) return undefined;
    try {
      await this.registry.ensureServable(v);
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  async targets(model: string, versions: Readonly<Record<Variant, number>>): Promise<Record<Variant, VariantTarget>> {
    const spec = this.spec;
    const one = async (variant: Variant): Promise<VariantTarget> => {
      const address = await this.endpoint(model, versions[variant]);
      return {
        version: versions[variant],
        address,
        server: spec.router === 'haproxy' ? spec.servers[variant] : address,
        backend: backendOf(spec),
      };
    };
    return { stable: await one('stable'), canary: await one('canary') };
  }
}

/** GET the readiness URL (a path on the endpoint, or a URL with {{endpoint}}): 2xx is ready. */
async function httpReadiness(readiness: string, v: ModelVersion): Promise<string | undefined> {
  const endpoint = endpointOf(v);
  if (endpoint === null) return `version ${v.version} has no endpoint to check readiness on`;
  const url = readiness.startsWith('/') ? `http://${endpoint}${readiness}` : readiness.replace(/\{\{\s*endpoint\s*\}\}/g, endpoint);
  try {
    const res = await request(url, { headersTimeout: 3000, bodyTimeout: 3000 });
    await res.body.dump();
    return res.statusCode >= 200 && res.statusCode < 300 ? undefined : `GET ${url} answered ${res.statusCode}`;
  } catch (err) {
    return `GET ${url} failed: ${(err as Error).message}`;
  }
}
