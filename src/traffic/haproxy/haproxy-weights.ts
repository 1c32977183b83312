import type { WeightPlan } from '../weight-router.js';

/** HAProxy's largest server weight: the two slots' weights sum to it, so a share is canary/256. */
export const HAPROXY_MAX_WEIGHT = 256;

/**
 * A share on HAProxy's scale: the canary gets round(share × 256) and stable the rest, so the
 * effective share moves in steps of 1/256 (0.39%). A canary step keeps at least weight 1 and
 * stable keeps at least 1 below 100%, so neither side's traffic rounds away to nothing.
 */
export function haproxyPlan(canaryWeightBp: number): WeightPlan {
  let canary = Math.round((canaryWeightBp * HAPROXY_MAX_WEIGHT) / 10_000);
  if (canaryWeightBp > 0) canary = Math.max(1, canary);
  if (canaryWeightBp < 10_000) canary = Math.min(HAPROXY_MAX_WEIGHT - 1, canary);
  return {
    requestedBp: canaryWeightBp,
    effectiveBp: Math.round((canary / HAPROXY_MAX_WEIGHT) * 1_000_000) / 100,
    stableWeight: HAPROXY_MAX_WEIGHT - canary,
    canaryWeight: canary,
    scale: 'HAProxy server weights 0-256, the two slots summing to 256 (steps of 0.39%)',
  };
}
