import {
  parseEndpoint,
  servingVersions,
  KeyedMutex,
  appError,
  assertModelName,
  isUpstream,
  type ModelSignature,
  type VersionSource,
  type BasisPoints,
  type Model,
  type ModelVersion,
  type Routing,
  type RoutingEvent,
  type ShadowRouting,
} from '../domain/index.js';
import { RevisionConflictError, type ArtifactBlobs, type RegistryStore, type RoutingChange } from '../store/index.js';
import { ArtifactFiles, type StagedArtifact } from './artifact-files.js';

import type { AcceptedModel, UpstreamRequest, VersionLoader } from './version-loader.js';

export interface RegisterInput {
  readonly description?: string | undefined;
  readonly source?: string | undefined;
  readonly metrics?: Readonly<Record<string, number>> | undefined;
  /** Where a proxy coalmine drives sends this version's share (host:port); see ModelVersion.endpoint. */
  readonly endpoint?: string | undefined;
}

export interface RegistryOptions {
  readonly store: RegistryStore;
  readonly files: ArtifactFiles;
  /** Where every replica finds the model files (PostgreSQL); absent when the data directory is the only copy. */
  readonly blobs?: ArtifactBlobs | null;
  readonly loader: VersionLoader;
  readonly now: () => Date;
  readonly resetCanaryWeightBp: BasisPoints;
}

/** `remote`: the change was made by another replica and read back from the shared store. */
export type ChangeOrigin = 'local' | 'remote';
export type RoutingListener = (model: Model, origin: ChangeOrigin) => void;

const pct = (bp: number): string => `${bp / 100}%`;

/**
 * The control plane: models, versions and which versions serve. Every routing change is
 * persisted (with the event that explains it) before it is acknowledged or takes effect, and
 * changes to one model are serialized so two operators cannot interleave.
 */
export class ModelRegistry {
  private readonly listeners: RoutingListener[] = [];
  private readonly mutex = new KeyedMutex();
  private readonly refreshing = new KeyedMutex();
  /** What listeners last saw of each model: a change read back is passed on only if it is newer. */
  private readonly seen = new Map<string, { readonly revision: number; readonly versions: number }>();

  constructor(private readonly opts: RegistryOptions) {}

  onRoutingChange(listener: RoutingListener): void {
    this.listeners.push(listener);
  }

  async list(): Promise<Model[]> {
    return this.opts.store.listModels();
  }

  async get(name: string): Promise<Model> {
    const model = await this.opts.store.getModel(name);
    if (!model) throw appError('model_not_found', `model "${name}" not found; register one with: coalmine models add ${name} <file.onnx> (or POST /v1/models/${name}/versions); coalmine models list shows the models`);
    return model;
  }

  async version(name: string, version: number): Promise<ModelVersion> {
    const model = await this.get(name);
    const found = model.versions.find((v) => v.version === version);
    if (!found) {
      const known = model.versions.map((v) => v.version).join(', ');
      throw appError('version_not_found', `model "${name}" has no version ${version} (versions: ${known})`);
    }
    return found;
  }

  async events(name: string, limit = 50): Promise<RoutingEvent[]> {
    await this.get(name);
    return this.opts.store.events(name, limit);
  }

  /** The ONNX file of a version served in-process, or null for a version a model server serves. */
  artifactPath(version: ModelVersion): string | null {
    return version.source.kind === 'onnx' ? this.opts.files.path(version.source.artifact) : null;
  }

  /**
   * Registers an ONNX file (bytes, or an upload already staged on disk, which is moved into place
   * or discarded). The same bytes twice are a 409 naming the version they already are.
   */
  async register(name: string, upload: Uint8Array | StagedArtifact, input: RegisterInput = {}): Promise<ModelVersion> {
    const staged = upload instanceof Uint8Array ? undefined : upload;
    try {
      assertModelName(name);
      const bytes = staged ? await this.opts.files.readStaged(staged) : (upload as Uint8Array);
      if (bytes.length === 0) throw appError('invalid_model', 'the request body is empty: send the ONNX file as the body');
      const accepted = await this.opts.loader.accept(bytes);
      // A rewrite (e.g. ZipMap removed) is stored instead of the upload, so the staged file goes.
      const keepStaged = staged && accepted.bytes === bytes ? staged : undefined;
      return await this.mutex.run(name, () => this.add(name, accepted, input, keepStaged));
    } finally {
      if (staged) await this.opts.files.discard(staged);
    }
  }

  private async add(name: string, accepted: AcceptedModel, input: RegisterInput, staged: StagedArtifact | undefined): Promise<ModelVersion> {
    const sha = staged?.sha256 ?? ArtifactFiles.sha256(accepted.bytes);
    const same = (await this.opts.store.getModel(name))?.versions.find((v) => v.source.kind === 'onnx' && v.source.sha256 === sha);
    if (same) throw appError('conflict', `this file is already version ${same.version} of "${name}" (same sha256); deploy it with: coalmine --model ${name} deploy ${same.version}`);
    const { artifact, sha256 } = await this.opts.files.write(name, accepted.bytes, staged);
    // Stored for the other replicas before the version that names it exists.
    await this.opts.blobs?.put(sha256, accepted.bytes);
    return this.save(name, { kind: 'onnx', artifact, sha256, sizeBytes: accepted.bytes.length }, accepted.signature, input, 'upload');
  }

  /**
   * Registers a version served by a model server: it must be ready and readable now, or nothing
   * is registered. The same URL twice is a 409 naming the version it already is.
   */
  async registerUpstream(name: string, request: UpstreamRequest, input: RegisterInput = {}): Promise<ModelVersion> {
    assertModelName(name);
    const accepted = await this.opts.loader.acceptUpstream(request);
    return this.mutex.run(name, async () => {
      const same = (await this.opts.store.getModel(name))?.versions.find((v) => isUpstream(v.source) && v.source.url === accepted.source.url);
      if (same) throw appError('conflict', `${accepted.source.url} is already version ${same.version} of "${name}"; deploy it with: coalmine --model ${name} deploy ${same.version}`);
      return this.save(name, accepted.source, accepted.signature, input, accepted.source.url);
    });
  }

  private async save(name: string, source: VersionSource, signature: ModelSignature, input: RegisterInput, origin: string): Promise<ModelVersion> {
    const model = await this.opts.store.addVersion({
      model: name,
      createdAt: this.opts.now().toISOString(),
      origin: input.source ?? origin,
      description: input.description ?? '',
      signature,
      metrics: input.metrics ?? {},
      source,
      ...(input.endpoint !== undefined ? { endpoint: parseEndpoint(input.endpoint) } : {}),
    });
    if (model.versions.length === 1) {
      await this.opts.loader.ensureLoaded(model.versions[0]!);
      this.emit(model);
    }
    return model.versions[model.versions.length - 1]!;
  }

  /** Loads the version (for a model server: checks it is ready now); throws an AppError when it cannot serve. */
  ensureServable(version: ModelVersion): Promise<void> {
    return this.opts.loader.ensureLoaded(version);
  }

  async setWeight(name: string, weightBp: BasisPoints): Promise<Model> {
    return this.change(name, 'set_weight', (model) => {
      const r = model.routing;
      if (r.canaryVersion === null) throw this.noCanary(name, 'set a canary weight');
      return {
        change: { ...r, canaryWeightBp: weightBp },
        reason: `canary v${r.canaryVersion} weight ${pct(r.canaryWeightBp)} → ${pct(weightBp)}`,
      };
    });
  }

  async deploy(name: string, version: number, weightBp: BasisPoints): Promise<Model> {
    const target = await this.version(name, version);
    return this.change(name, 'deploy', async (model) => {
      const r = model.routing;
      if (r.stableVersion === version) {
        throw appError('conflict', `version ${version} of "${name}" is already stable; deploy a different version as the canary`);
      }
      await this.opts.loader.ensureLoaded(target);
      const replaced = r.canaryVersion !== null && r.canaryVersion !== version ? ` (replacing canary v${r.canaryVersion})` : '';
      // A version is shadow or canary, never both: deploying the shadow ends its session.
      const wasShadow = r.shadow?.version === version;
      return {
        change: { ...r, canaryVersion: version, canaryWeightBp: weightBp, shadow: wasShadow ? null : r.shadow },
        reason: `deployed v${version} as canary at ${pct(weightBp)}${replaced}${wasShadow ? ' (its shadow session ends)' : ''}`,
      };
    });
  }

  async promote(name: string): Promise<Model> {
    return this.change(name, 'promote', (model) => {
      const r = model.routing;
      if (r.canaryVersion === null) throw this.noCanary(name, 'promote');
      return {
        change: { stableVersion: r.canaryVersion, canaryVersion: null, canaryWeightBp: 0, previousStableVersion: r.stableVersion, lastCanaryVersion: null, shadow: r.shadow },
        reason: `promoted canary v${r.canaryVersion} to stable (previous stable v${r.stableVersion})`,
      };
    });
  }

  async rollback(name: string, reason?: string): Promise<Model> {
    return this.change(name, 'rollback', (model) => {
      const r = model.routing;
      if (r.canaryVersion === null) throw this.noCanary(name, 'roll back');
      return {
        change: { ...r, canaryVersion: null, canaryWeightBp: 0, lastCanaryVersion: r.canaryVersion },
        reason: `rolled back canary v${r.canaryVersion}; all traffic to stable v${r.stableVersion}${reason ? `: ${reason}` : ''}`,
      };
    });
  }

  /** Back to the start of an experiment: the canary (current, or the last one rolled back) at the reset weight. */
  async reset(name: string): Promise<Model> {
    const model = await this.get(name);
    const canary = model.routing.canaryVersion ?? model.routing.lastCanaryVersion;
    const target = canary !== null ? await this.version(name, canary) : undefined;
    return this.change(name, 'reset', async (current) => {
      const r = current.routing;
      const weight = this.opts.resetCanaryWeightBp;
      if (target === undefined) return { change: { ...r, canaryWeightBp: 0 }, reason: 'reset: no canary to restore' };
      await this.opts.loader.ensureLoaded(target);
      const wasShadow = r.shadow?.version === target.version;
      return {
        change: { ...r, canaryVersion: target.version, canaryWeightBp: weight, shadow: wasShadow ? null : r.shadow },
        reason: `reset: canary v${target.version} at ${pct(weight)}${wasShadow ? ' (its shadow session ends)' : ''}`,
      };
    });
  }

  /**
   * Starts scoring `shadow.version` on a copy of live traffic. The version must exist, load (or be
   * ready, for a model server) and serve neither as stable nor as canary; a shadow already running
   * is replaced.
   */
  async startShadow(name: string, shadow: ShadowRouting): Promise<Model> {
    const target = await this.version(name, shadow.version);
    return this.change(name, 'shadow_start', async (model) => {
      const r = model.routing;
      if (r.stableVersion === shadow.version) throw appError('conflict', `version ${shadow.version} of "${name}" is stable; a shadow must be a version that does not serve`);
      if (r.canaryVersion === shadow.version) throw appError('conflict', `version ${shadow.version} of "${name}" is the canary; roll it back first, or judge it as the canary it is`);
      await this.opts.loader.ensureLoaded(target);
      const replaced = r.shadow ? ` (replacing shadow v${r.shadow.version})` : '';
      return { change: { ...r, shadow }, reason: `shadow v${shadow.version} started on ${pct(shadow.sampleBp)} of traffic${replaced}` };
    });
  }

  async stopShadow(name: string, reason?: string): Promise<Model> {
    return this.change(name, 'shadow_stop', (model) => {
      const r = model.routing;
      if (!r.shadow) throw appError('no_shadow', `model "${name}" has no shadow running; start one with: coalmine --model ${name} shadow start <version>`);
      return { change: { ...r, shadow: null }, reason: `shadow v${r.shadow.version} stopped${reason ? `: ${reason}` : ''}` };
    });
  }

  private noCanary(name: string, what: string) {
    return appError('no_canary', `model "${name}" has no canary deployed, so there is nothing to ${what}; deploy one first (coalmine deploy <version>)`);
  }

  private async change(
    name: string,
    action: RoutingEvent['action'],
    decide: (model: Model) => { change: RoutingChange; reason: string } | Promise<{ change: RoutingChange; reason: string }>,
  ): Promise<Model> {
    return this.mutex.run(name, async () => {
      // In-process the mutex serializes changes to a model; across replicas the store's revision
      // check does: a change that lost to another replica's is decided again on what that one
      // saved (a promote after a deploy promotes the deployed canary), never applied over it.
      for (let attempt = 1; ; attempt++) {
        const model = await this.get(name);
        const { change, reason } = await decide(model);
        try {
          const routing: Routing = await this.opts.store.saveRouting(name, change, model.routing.revision, {
            action,
            reason,
            at: this.opts.now().toISOString(),
          });
          const updated: Model = { ...model, routing };
          this.emit(updated);
          return updated;
        } catch (err) {
          if (!(err instanceof RevisionConflictError) || attempt >= 5) throw err;
        }
      }
    });
  }

  private isNewer(model: Model): boolean {
    const last = this.seen.get(model.name);
    return last === undefined || model.routing.revision > last.revision || (model.routing.revision === last.revision && model.versions.length > last.versions);
  }

  private emit(model: Model, origin: ChangeOrigin = 'local'): void {
    if (!this.isNewer(model)) return;
    this.seen.set(model.name, { revision: model.routing.revision, versions: model.versions.length });
    for (const listener of this.listeners) listener(model, origin);
  }

  /** Marks the state listeners start from (read at startup), so reading it back changes nothing. */
  seed(model: Model): void {
    if (this.isNewer(model)) this.seen.set(model.name, { revision: model.routing.revision, versions: model.versions.length });
  }

  /**
   * Reads a model again after another replica changed it, and passes it on when it is newer than
   * what this replica last saw: routing in revision order, never backwards. The serving versions
   * are loaded first (a file fetched, a model server checked), so the switch happens ready; one
   * that cannot load is reported by the pool and its traffic falls back to stable.
   */
  async refresh(name: string): Promise<void> {
    await this.refreshing.run(name, async () => {
      const model = await this.opts.store.getModel(name);
      if (!model || !this.isNewer(model)) return;
      const r = model.routing;
      for (const v of servingVersions(r)) {
        const version = model.versions.find((x) => x.version === v);
        if (version) await this.opts.loader.ensureLoaded(version).catch(() => undefined);
      }
      this.emit(model, 'remote');
    });
  }
}
