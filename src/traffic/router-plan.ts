import type { TrafficSpec } from '../domain/index.js';
import { gatewayPlan } from './gateway-api/gateway-api-router.js';
import { haproxyPlan } from './haproxy/haproxy-weights.js';
import { ingressNginxPlan } from './ingress-nginx/ingress-nginx-router.js';
import { nginxPlan } from './nginx/nginx-upstream.js';
import type { WeightPlan } from './weight-router.js';

/** The plan a spec's router makes of a share (pure: status shows it without asking the proxy). */
export function planFor(traffic: TrafficSpec, canaryWeightBp: number): WeightPlan {
  switch (traffic.router) {
    case 'haproxy':
      return haproxyPlan(canaryWeightBp);
    case 'nginx':
      return nginxPlan(canaryWeightBp);
    case 'gateway-api':
      return gatewayPlan(canaryWeightBp);
    case 'ingress-nginx':
      return ingressNginxPlan(canaryWeightBp, traffic.weightTotal);
  }
}

/** Where a spec's router acts, in words. */
export function describeTraffic(traffic: TrafficSpec): string {
  switch (traffic.router) {
    case 'haproxy':
      return `HAProxy backend ${traffic.backend} (servers ${traffic.servers.stable}, ${traffic.servers.canary}) via ${traffic.socket}`;
    case 'nginx':
      return `nginx upstream ${traffic.upstream} in ${traffic.file}`;
    case 'gateway-api':
      return `HTTPRoute ${traffic.namespace}/${traffic.route} rule ${traffic.rule}`;
    case 'ingress-nginx':
      return `Ingress ${traffic.namespace}/${traffic.ingress} with canary Ingress ${traffic.canaryIngress}`;
  }
}

/** The name a metric template's {{backend}} stands for: the HAProxy backend, nginx upstream, HTTPRoute or main Ingress. */
export function backendOf(traffic: TrafficSpec): string {
  switch (traffic.router) {
    case 'haproxy':
      return traffic.backend;
    case 'nginx':
      return traffic.upstream;
    case 'gateway-api':
      return traffic.route;
    case 'ingress-nginx':
      return traffic.ingress;
  }
}
