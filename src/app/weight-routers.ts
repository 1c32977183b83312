import { relative, resolve, sep } from 'node:path';
import type { Config } from '../config/index.js';
import { appError, type TrafficSpec } from '../domain/index.js';
import type { ModelRegistry } from '../registry/index.js';
import type { TrafficRouter } from '../rollout/index.js';
import { GatewayApiRouter, HaproxyRouter, IngressNginxRouter, kubeConfigFor, NginxRouter, type WeightRouter } from '../traffic/index.js';
import { ExternalTrafficRouter } from './external-traffic-router.js';

type Proxies = Config['proxies'];

/**
 * The include file must lie in the directory the server's operator allowed
 * (COALMINE_NGINX_INCLUDE_DIR): an API caller must not be able to write files elsewhere.
 */
function includeFile(file: string, proxies: Proxies): string {
  const dir = proxies.nginxIncludeDir;
  if (dir === null) throw appError('invalid_request', 'this server drives no nginx: start it with COALMINE_NGINX_INCLUDE_DIR set to the directory coalmine may write upstream files in (docs/controller.md)');
  const path = resolve(file);
  const rel = relative(dir, path);
  if (rel === '' || rel.startsWith('..') || rel.includes(sep)) throw appError('invalid_request', `traffic.file ${file} must be a file directly in ${dir} (COALMINE_NGINX_INCLUDE_DIR)`);
  return path;
}

/** Picks the weight router a spec names (as Flagger's router/factory.go and Argo's traffic routers do). */
export function weightRouterFor(model: string, traffic: TrafficSpec, proxies: Proxies): WeightRouter {
  switch (traffic.router) {
    case 'haproxy':
      return new HaproxyRouter(traffic);
    case 'nginx':
      return new NginxRouter({ ...traffic, file: includeFile(traffic.file, proxies), test: proxies.nginxTestCommand, reload: proxies.nginxReloadCommand }, model);
    case 'gateway-api':
      return new GatewayApiRouter(traffic, kubeConfigFor(proxies.kubeconfig, traffic.context));
    case 'ingress-nginx':
      return new IngressNginxRouter(traffic, kubeConfigFor(proxies.kubeconfig, traffic.context));
  }
}

/** The rollout controller's routerFor: one ExternalTrafficRouter per model and traffic spec, kept while it is used. */
export function externalRouters(registry: ModelRegistry, proxies: Proxies): (model: string, traffic: TrafficSpec) => TrafficRouter {
  const cache = new Map<string, TrafficRouter>();
  return (model, traffic) => {
    const key = `${model}\u0000${JSON.stringify(traffic)}`;
    let router = cache.get(key);
    if (!router) {
      // Specs change rarely; a bound keeps a long-lived server from holding every one it ever saw.
      if (cache.size >= 256) cache.delete(cache.keys().next().value!);
      router = new ExternalTrafficRouter(registry, weightRouterFor(model, traffic, proxies), traffic);
      cache.set(key, router);
    }
    return router;
  };
}
