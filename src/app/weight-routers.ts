import type { TrafficSpec } from '../domain/index.js';
import type { ModelRegistry } from '../registry/index.js';
import type { TrafficRouter } from '../rollout/index.js';
import { GatewayApiRouter, HaproxyRouter, IngressNginxRouter, kubeConfigFor, NginxRouter, type WeightRouter } from '../traffic/index.js';
import { ExternalTrafficRouter } from './external-traffic-router.js';

/** Picks the weight router a spec names (as Flagger's router/factory.go and Argo's traffic routers do). */
export function weightRouterFor(model: string, traffic: TrafficSpec): WeightRouter {
  switch (traffic.router) {
    case 'haproxy':
      return new HaproxyRouter(traffic);
    case 'nginx':
      return new NginxRouter(traffic, model);
    case 'gateway-api':
      return new GatewayApiRouter(traffic, kubeConfigFor(traffic));
    case 'ingress-nginx':
      return new IngressNginxRouter(traffic, kubeConfigFor(traffic));
  }
}

/** The rollout controller's routerFor: one ExternalTrafficRouter per model and traffic spec, kept while it is used. */
export function externalRouters(registry: ModelRegistry): (model: string, traffic: TrafficSpec) => TrafficRouter {
  const cache = new Map<string, TrafficRouter>();
  return (model, traffic) => {
    const key = `${model}\u0000${JSON.stringify(traffic)}`;
    let router = cache.get(key);
    if (!router) {
      // Specs change rarely; a bound keeps a long-lived server from holding every one it ever saw.
      if (cache.size >= 256) cache.delete(cache.keys().next().value!);
      router = new ExternalTrafficRouter(registry, weightRouterFor(model, traffic), traffic);
      cache.set(key, router);
    }
    return router;
  };
}
