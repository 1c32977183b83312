import type { KubeConfig } from '@kubernetes/client-node';
import { appError, type GatewayApiTrafficSpec } from '../../domain/index.js';
import { deploymentUnready, kubeApis, kubeError, serviceOf, statusOf, type KubeApis } from '../kubernetes/kube-api.js';
import { nginxPlan } from '../nginx/nginx-upstream.js';
import type { WeightPlan, WeightRouter, WeightTarget } from '../weight-router.js';

interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
}

interface HttpRoute {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { rules?: { backendRefs?: BackendRef[] }[] };
}

const GROUP = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' } as const;

/**
 * Gateway API weights are relative integers (0 to 1,000,000): stable 10000 − bp and canary bp in
 * lowest terms give the share exactly, as for nginx. A side at 0% is left out of backendRefs.
 */
export function gatewayPlan(canaryWeightBp: number): WeightPlan {
  return { ...nginxPlan(canaryWeightBp), scale: 'Gateway API backendRef weights, relative integers (reduced to lowest terms: exact); a side at 0% is left out' };
}

/**
 * Drives one rule of an HTTPRoute: its backendRefs become the stable and canary versions'
 * Services with their weights. Read, changed and replaced with the read resourceVersion, so a
 * concurrent edit is a conflict (retried on a fresh read) rather than lost; verified by reading back.
 */
export class GatewayApiRouter implements WeightRouter {
  readonly kind = 'gateway-api';
  readonly where: string;
  private readonly apis: KubeApis;

  constructor(
    private readonly spec: GatewayApiTrafficSpec,
    kc: KubeConfig,
  ) {
    this.apis = kubeApis(kc);
    this.where = `HTTPRoute ${spec.namespace}/${spec.route} rule ${spec.rule} at ${this.apis.server}`;
  }

  plan(canaryWeightBp: number): WeightPlan {
    return gatewayPlan(canaryWeightBp);
  }

  private refs(target: WeightTarget): BackendRef[] {
    const p = this.plan(target.canary === null ? 0 : target.canaryWeightBp);
    const refs: BackendRef[] = [];
    if (p.stableWeight > 0) refs.push({ group: '', kind: 'Service', ...serviceOf(target.stable), weight: p.stableWeight });
    if (p.canaryWeight > 0 && target.canary !== null) refs.push({ group: '', kind: 'Service', ...serviceOf(target.canary), weight: p.canaryWeight });
    return refs;
  }

  private async read(): Promise<HttpRoute> {
    try {
      return (await this.apis.custom.getNamespacedCustomObject({ ...GROUP, namespace: this.spec.namespace, name: this.spec.route })) as HttpRoute;
    } catch (err) {
      throw kubeError(err, `reading HTTPRoute ${this.spec.namespace}/${this.spec.route}`, this.apis.server);
    }
  }

  private rule(route: HttpRoute): { backendRefs?: BackendRef[] } {
    const rule = route.spec.rules?.[this.spec.rule];
    if (!rule) throw appError('router_unavailable', `HTTPRoute ${this.spec.namespace}/${this.spec.route} has no rule ${this.spec.rule} (it has ${route.spec.rules?.length ?? 0}); set traffic.rule to the rule that carries the model`);
    return rule;
  }

  async setWeights(target: WeightTarget): Promise<WeightPlan> {
    const refs = this.refs(target);
    for (let attempt = 1; ; attempt++) {
      const route = await this.read();
      this.rule(route).backendRefs = refs;
      try {
        await this.apis.custom.replaceNamespacedCustomObject({ ...GROUP, namespace: this.spec.namespace, name: this.spec.route, body: route });
        break;
      } catch (err) {
        if (statusOf(err) === 409 && attempt < 3) continue;
        throw kubeError(err, `updating HTTPRoute ${this.spec.namespace}/${this.spec.route}`, this.apis.server);
      }
    }
    if (!(await this.verify(target))) throw appError('router_unavailable', `HTTPRoute ${this.spec.namespace}/${this.spec.route} was updated but reads back other backendRefs (an admission webhook or controller may rewrite it)`);
    return this.plan(target.canary === null ? 0 : target.canaryWeightBp);
  }

  async verify(target: WeightTarget): Promise<boolean> {
    const have = (this.rule(await this.read()).backendRefs ?? []).map((r) => `${r.kind ?? 'Service'}/${r.name}:${r.port ?? '-'}=${r.weight ?? 1}`);
    const want = this.refs(target).map((r) => `Service/${r.name}:${r.port}=${r.weight}`);
    return have.length === want.length && have.every((h, i) => h === want[i]);
  }

  unready(endpoint: string): Promise<string | undefined> {
    return deploymentUnready(this.apis, this.spec.namespace, this.spec.deployment.replace(/\{\{\s*service\s*\}\}/g, serviceOf(endpoint).name));
  }
}
