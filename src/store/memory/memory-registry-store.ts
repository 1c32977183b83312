import { appError, type Model, type ModelVersion, type Routing, type RoutingEvent } from '../../domain/index.js';
import type { NewVersion, RegistryStore, RoutingChange, RoutingEventInput } from '../registry-store.js';
import { revisionConflict } from '../revision-conflict.js';

/** In-memory RegistryStore for unit tests; same contract as the SQLite store. */
export class MemoryRegistryStore implements RegistryStore {
  private readonly models = new Map<string, Model>();
  private readonly log: RoutingEvent[] = [];

  async listModels(): Promise<Model[]> {
    return [...this.models.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async getModel(name: string): Promise<Model | undefined> {
    return this.models.get(name);
  }

  async addVersion(input: NewVersion): Promise<Model> {
    const existing = this.models.get(input.model);
    const version: ModelVersion = { ...input, version: (existing?.versions.length ?? 0) + 1 };
    if (existing) {
      const next = { ...existing, versions: [...existing.versions, version] };
      this.models.set(input.model, next);
      return next;
    }
    const routing: Routing = {
      stableVersion: 1,
      canaryVersion: null,
      canaryWeightBp: 0,
      previousStableVersion: null,
      lastCanaryVersion: null,
      shadow: null,
      revision: 1,
      updatedAt: input.createdAt,
    };
    const model: Model = { name: input.model, createdAt: input.createdAt, versions: [version], routing };
    this.models.set(input.model, model);
    this.log.push({ model: input.model, at: input.createdAt, action: 'register', routing, reason: 'first version becomes stable' });
    return model;
  }

  async saveRouting(name: string, change: RoutingChange, expectedRevision: number, event: RoutingEventInput): Promise<Routing> {
    const model = this.models.get(name);
    if (!model) throw appError('model_not_found', `model ${name} not found`);
    if (model.routing.revision !== expectedRevision) throw revisionConflict(name, expectedRevision, model.routing.revision);
    const routing: Routing = { ...change, revision: expectedRevision + 1, updatedAt: event.at };
    this.models.set(name, { ...model, routing });
    this.log.push({ model: name, at: event.at, action: event.action, routing, reason: event.reason });
    return routing;
  }

  async events(name: string, limit: number): Promise<RoutingEvent[]> {
    return this.log.filter((e) => e.model === name).slice(-limit).reverse();
  }
}
