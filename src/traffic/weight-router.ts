/**
 * The weights half of traffic (docs/architecture.md, "Traffic"): a proxy that coalmine does not
 * carry traffic through, told how to split a model's requests between its stable and canary
 * versions. The versions' lifecycle (deploy, promote, clear) stays the registry's; a router only
 * points a proxy's two slots at the versions' endpoints and weighs them.
 */

/** Where the versions are and how much the canary gets. */
export interface WeightTarget {
  /** The stable version's endpoint, as the router reads it (host:port, or a Service). */
  readonly stable: string;
  /** The canary version's endpoint; null when there is no canary (weight 0). */
  readonly canary: string | null;
  /** The canary's share in basis points (0–10000). */
  readonly canaryWeightBp: number;
}

/** How a router writes a share on its own scale, and the share that scale really gives. */
export interface WeightPlan {
  readonly requestedBp: number;
  /** The canary's share the proxy will apply once its weights are rounded to its scale. */
  readonly effectiveBp: number;
  /** The weights as the proxy holds them. */
  readonly stableWeight: number;
  readonly canaryWeight: number;
  /** The proxy's scale in words, e.g. "HAProxy weights 0-256, summing to 256". */
  readonly scale: string;
}

export interface WeightRouter {
  /** haproxy, nginx, gateway-api or ingress-nginx. */
  readonly kind: string;
  /** What it drives, for status and logs, e.g. "HAProxy backend model via 127.0.0.1:9999". */
  readonly where: string;
  /** The plan for a share: pure, the same one setWeights applies. */
  plan(canaryWeightBp: number): WeightPlan;
  /** Points the proxy at the endpoints with the plan's weights; throws an AppError a user can act on. */
  setWeights(target: WeightTarget): Promise<WeightPlan>;
  /** Whether the proxy serves exactly that target now; null when this router cannot tell. */
  verify(target: WeightTarget): Promise<boolean | null>;
  /** A version's health as this platform knows it (a Deployment's ready replicas): why it is not ready, or undefined. */
  unready?(endpoint: string): Promise<string | undefined>;
}

/** Splits "host:port" (IPv6 in brackets) for the routers that need the parts. */
export function hostPort(endpoint: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s/]+)):(\d{1,5})$/.exec(endpoint);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`"${endpoint}" is not a host:port address`);
  return { host: (m[1] ?? m[2])!, port };
}

/**
 * A share on a scale of `total` whole weights the two sides split (HAProxy's 256, ingress-nginx's
 * canary-weight-total): the canary gets round(share × total) and stable the rest, with at least 1
 * for the canary on any step and at least 1 for stable below 100%, so neither side's traffic rounds
 * away to nothing.
 */
export function scaledPlan(canaryWeightBp: number, total: number, scale: string): WeightPlan {
  let canary = Math.round((canaryWeightBp * total) / 10_000);
  if (canaryWeightBp > 0) canary = Math.max(1, canary);
  if (canaryWeightBp < 10_000) canary = Math.min(total - 1, canary);
  return { requestedBp: canaryWeightBp, effectiveBp: Math.round((canary / total) * 1_000_000) / 100, stableWeight: total - canary, canaryWeight: canary, scale };
}
