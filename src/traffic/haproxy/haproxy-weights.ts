import { scaledPlan, type WeightPlan } from '../weight-router.js';

/** HAProxy's largest server weight: the two slots' weights sum to it, so a share is canary/256. */
export const HAPROXY_MAX_WEIGHT = 256;

/** A share on HAProxy's scale: the effective share moves in steps of 1/256 (0.39%). */
export function haproxyPlan(canaryWeightBp: number): WeightPlan {
  return scaledPlan(canaryWeightBp, HAPROXY_MAX_WEIGHT, 'HAProxy server weights 0-256, the two slots summing to 256 (steps of 0.39%)');
}
