import type { Model, ModelVersion, Routing, RoutingEvent } from '../domain/index.js';

export type NewVersion = Omit<ModelVersion, 'version'>;
export type RoutingChange = Omit<Routing, 'revision' | 'updatedAt'>;

export interface RoutingEventInput {
  readonly action: RoutingEvent['action'];
  readonly reason: string;
  readonly at: string;
}

/**
 * Persistence of models, versions and their routing. Every write is one transaction: a version
 * gets the next number atomically, and a routing change is saved together with the event that
 * explains it, or not at all.
 */
export interface RegistryStore {
  listModels(): Promise<Model[]>;
  getModel(name: string): Promise<Model | undefined>;
  /** Adds the next version of a model, creating the model (with this version as stable) if it is new. */
  addVersion(input: NewVersion): Promise<Model>;
  /** Saves routing if the stored revision is `expectedRevision`; otherwise throws a conflict. */
  saveRouting(model: string, change: RoutingChange, expectedRevision: number, event: RoutingEventInput): Promise<Routing>;
  events(model: string, limit: number): Promise<RoutingEvent[]>;
}
