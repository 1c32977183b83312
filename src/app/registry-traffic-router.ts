import { appError, isUpstream } from '../domain/index.js';
import type { ModelRegistry } from '../registry/index.js';
import type { RoutingState, TrafficRouter } from '../rollout/index.js';

/** The built-in TrafficRouter: coalmine's own registry and router serve the split. */
export class RegistryTrafficRouter implements TrafficRouter {
  constructor(private readonly registry: ModelRegistry) {}

  async current(model: string): Promise<RoutingState> {
    const r = (await this.registry.get(model)).routing;
    return { stableVersion: r.stableVersion, canaryVersion: r.canaryVersion, weightBp: r.canaryVersion === null ? 0 : r.canaryWeightBp, revision: r.revision };
  }

  async check(model: string, version: number): Promise<void> {
    const target = await this.registry.version(model, version);
    const r = (await this.registry.get(model)).routing;
    if (r.stableVersion === version) throw appError('conflict', `version ${version} of "${model}" is already stable; roll out a different version`);
    // A model server must be ready now: a rollout never starts on one that cannot serve. (An ONNX
    // file that fails to load is found by the first step, which fails the rollout with the reason.)
    if (isUpstream(target.source)) await this.registry.ensureServable(target);
  }

  async apply(model: string, version: number, weightBp: number): Promise<number> {
    const r = (await this.registry.get(model)).routing;
    if (r.canaryVersion !== version) return (await this.registry.deploy(model, version, weightBp)).routing.revision;
    if (r.canaryWeightBp !== weightBp) return (await this.registry.setWeight(model, weightBp)).routing.revision;
    return r.revision;
  }

  async promote(model: string, version: number): Promise<void> {
    const r = (await this.registry.get(model)).routing;
    if (r.stableVersion === version) return;
    if (r.canaryVersion !== version) await this.registry.deploy(model, version, 0);
    await this.registry.promote(model);
  }

  async clear(model: string, reason: string): Promise<void> {
    const r = (await this.registry.get(model)).routing;
    if (r.canaryVersion !== null) await this.registry.rollback(model, reason);
  }
}
