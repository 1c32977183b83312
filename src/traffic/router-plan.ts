import type { TrafficSpec } from '../domain/index.js';
import { haproxyPlan } from './haproxy/haproxy-weights.js';
import { nginxPlan } from './nginx/nginx-upstream.js';
import type { WeightPlan } from './weight-router.js';

/** The plan a spec's router makes of a share (pure: status shows it without asking the proxy). */
export function planFor(traffic: TrafficSpec, canaryWeightBp: number): WeightPlan {
  return traffic.router === 'haproxy' ? haproxyPlan(canaryWeightBp) : nginxPlan(canaryWeightBp);
}

/** Where a spec's router acts, in words. */
export function describeTraffic(traffic: TrafficSpec): string {
  return traffic.router === 'haproxy'
    ? `HAProxy backend ${traffic.backend} (servers ${traffic.servers.stable}, ${traffic.servers.canary}) via ${traffic.socket}`
    : `nginx upstream ${traffic.upstream} in ${traffic.file}`;
}
