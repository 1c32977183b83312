/**
 * How the controller changes traffic (the TrafficRouter port of docs/architecture.md). The built-in router is the
 * registry; a proxy (nginx, a Gateway API route) can take its place.
 */
export interface RoutingState {
  readonly stableVersion: number;
  readonly canaryVersion: number | null;
  readonly weightBp: number;
  readonly revision: number;
}

export interface TrafficRouter {
  current(model: string): Promise<RoutingState>;
  /** Throws an AppError if `version` of `model` cannot be a canary (unknown, already stable). */
  check(model: string, version: number): Promise<void>;
  /** Serves `version` as the canary at `weightBp` (deploying it if needed); resolves to the new routing revision. */
  apply(model: string, version: number, weightBp: number, reason: string): Promise<number>;
  promote(model: string, version: number, reason: string): Promise<void>;
  clear(model: string, reason: string): Promise<void>;
}
