import type { Variant } from '../domain/index.js';
import type { VariantTarget } from '../metrics/index.js';

/**
 * How the controller changes traffic (the TrafficRouter port of docs/architecture.md). The built-in router is the
 * registry; a proxy coalmine drives (HAProxy, nginx) takes its place for a rollout whose spec names one.
 */
export interface RoutingState {
  readonly stableVersion: number;
  readonly canaryVersion: number | null;
  readonly weightBp: number;
  readonly revision: number;
  /** False when the proxy does not serve what the registry records (someone changed it by hand, or it restarted): the next reconcile re-applies. */
  readonly inSync?: boolean;
}

export interface TrafficRouter {
  current(model: string): Promise<RoutingState>;
  /** Throws an AppError if `version` of `model` cannot be a canary (unknown, already stable, unreachable, not ready). */
  check(model: string, version: number): Promise<void>;
  /** Serves `version` as the canary at `weightBp` (deploying it if needed); resolves to the new routing revision. */
  apply(model: string, version: number, weightBp: number, reason: string): Promise<number>;
  promote(model: string, version: number, reason: string): Promise<void>;
  clear(model: string, reason: string): Promise<void>;
  /** The canary share the traffic really gets at `weightBp` once rounded to the proxy's scale (the sample-ratio check's expectation). */
  effectiveBp?(weightBp: number): number;
  /** Why a version cannot take traffic now (its readiness check failed), or undefined when it can. */
  unready?(model: string, version: number): Promise<string | undefined>;
  /** How the metric templates name each variant: its version, slot, endpoint and backend. */
  targets?(model: string, versions: Readonly<Record<Variant, number>>): Promise<Record<Variant, VariantTarget>>;
}
