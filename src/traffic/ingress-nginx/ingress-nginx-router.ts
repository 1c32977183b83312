import type { KubeConfig, V1Ingress } from '@kubernetes/client-node';
import { appError, type IngressNginxTrafficSpec } from '../../domain/index.js';
import { deploymentUnready, kubeApis, kubeError, serviceOf, statusOf, type KubeApis } from '../kubernetes/kube-api.js';
import { scaledPlan, type WeightPlan, type WeightRouter, type WeightTarget } from '../weight-router.js';

const CANARY = 'nginx.ingress.kubernetes.io/canary';
const WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';
const TOTAL = 'nginx.ingress.kubernetes.io/canary-weight-total';

/**
 * A share as ingress-nginx's canary-weight out of canary-weight-total (100 by default: whole
 * percent; up to 10000 for basis points on ingress-nginx ≥ 1.2).
 */
export function ingressNginxPlan(canaryWeightBp: number, total = 100): WeightPlan {
  return scaledPlan(canaryWeightBp, total, `ingress-nginx canary-weight out of canary-weight-total ${total}`);
}

type Service = { name: string; port: number };

/**
 * Drives ingress-nginx's canary, as seed 003 does: the main Ingress sends to the stable version's
 * Service; a second Ingress for the same host and paths, annotated `canary: "true"`, sends its
 * `canary-weight` to the canary's Service. Each Ingress is read, changed and replaced with the read
 * resourceVersion (a conflict is retried on a fresh read), and verified by reading both back.
 */
export class IngressNginxRouter implements WeightRouter {
  readonly kind = 'ingress-nginx';
  readonly where: string;
  private readonly apis: KubeApis;

  constructor(
    private readonly spec: IngressNginxTrafficSpec,
    kc: KubeConfig,
  ) {
    this.apis = kubeApis(kc);
    this.where = `Ingress ${spec.namespace}/${spec.ingress} with canary Ingress ${spec.canaryIngress} at ${this.apis.server}`;
  }

  plan(canaryWeightBp: number): WeightPlan {
    return ingressNginxPlan(canaryWeightBp, this.spec.weightTotal);
  }

  private async read(name: string): Promise<V1Ingress> {
    try {
      return await this.apis.networking.readNamespacedIngress({ name, namespace: this.spec.namespace });
    } catch (err) {
      throw kubeError(err, `reading Ingress ${this.spec.namespace}/${name}`, this.apis.server);
    }
  }

  /** Changes one Ingress with `edit` (which says whether anything changed), retrying a conflict on a fresh read. */
  private async update(name: string, edit: (ing: V1Ingress) => boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const ing = await this.read(name);
      if (!edit(ing)) return;
      try {
        await this.apis.networking.replaceNamespacedIngress({ name, namespace: this.spec.namespace, body: ing });
        return;
      } catch (err) {
        if (statusOf(err) === 409 && attempt < 3) continue;
        throw kubeError(err, `updating Ingress ${this.spec.namespace}/${name}`, this.apis.server);
      }
    }
  }

  private routeTo(service: Service): (ing: V1Ingress) => boolean {
    return (ing) => {
      let changed = false;
      const paths = (ing.spec?.rules ?? []).flatMap((r) => r.http?.paths ?? []);
      if (paths.length === 0) throw appError('router_unavailable', `Ingress ${this.spec.namespace}/${ing.metadata?.name} has no rules with paths to point at the version's Service`);
      for (const p of paths) {
        const s = p.backend.service;
        if (s?.name !== service.name || s.port?.number !== service.port) {
          p.backend = { service: { name: service.name, port: { number: service.port } } };
          changed = true;
        }
      }
      return changed;
    };
  }

  private weigh(weight: number): (ing: V1Ingress) => boolean {
    return (ing) => {
      const a = { ...(ing.metadata?.annotations ?? {}) };
      const want = { [CANARY]: 'true', [WEIGHT]: String(weight), [TOTAL]: String(this.spec.weightTotal) };
      if (Object.entries(want).every(([k, v]) => a[k] === v)) return false;
      ing.metadata = { ...ing.metadata, annotations: { ...a, ...want } };
      return true;
    };
  }

  private static serves(ing: V1Ingress, service: Service): boolean {
    const paths = (ing.spec?.rules ?? []).flatMap((r) => r.http?.paths ?? []);
    return paths.length > 0 && paths.every((p) => p.backend.service?.name === service.name && p.backend.service.port?.number === service.port);
  }

  /** As the HAProxy router does, a side changes its Service only while it carries no traffic. */
  async setWeights(target: WeightTarget): Promise<WeightPlan> {
    const plan = this.plan(target.canary === null ? 0 : target.canaryWeightBp);
    const stable = serviceOf(target.stable);
    const main = await this.read(this.spec.ingress);
    if (!IngressNginxRouter.serves(main, stable)) {
      // A promotion: the canary Ingress, at the new version, takes everything while the main one moves.
      await this.update(this.spec.canaryIngress, this.weigh(0));
      await this.update(this.spec.canaryIngress, this.routeTo(stable));
      await this.update(this.spec.canaryIngress, this.weigh(this.spec.weightTotal));
      await this.update(this.spec.ingress, this.routeTo(stable));
      await this.update(this.spec.canaryIngress, this.weigh(0));
    }
    if (target.canary !== null) {
      const canary = serviceOf(target.canary);
      if (!IngressNginxRouter.serves(await this.read(this.spec.canaryIngress), canary)) {
        await this.update(this.spec.canaryIngress, this.weigh(0));
        await this.update(this.spec.canaryIngress, this.routeTo(canary));
      }
    }
    await this.update(this.spec.canaryIngress, this.weigh(plan.canaryWeight));
    if (!(await this.verify(target))) throw appError('router_unavailable', `the Ingresses ${this.where} were updated but read back otherwise`);
    return plan;
  }

  async verify(target: WeightTarget): Promise<boolean> {
    const plan = this.plan(target.canary === null ? 0 : target.canaryWeightBp);
    const [main, canary] = await Promise.all([this.read(this.spec.ingress), this.read(this.spec.canaryIngress)]);
    const a = canary.metadata?.annotations ?? {};
    if (!IngressNginxRouter.serves(main, serviceOf(target.stable))) return false;
    if (a[CANARY] !== 'true' || a[WEIGHT] !== String(plan.canaryWeight) || (a[TOTAL] ?? '100') !== String(this.spec.weightTotal)) return false;
    return target.canary === null || IngressNginxRouter.serves(canary, serviceOf(target.canary));
  }

  unready(endpoint: string): Promise<string | undefined> {
    return deploymentUnready(this.apis, this.spec.namespace, this.spec.deployment.replace(/\{\{\s*service\s*\}\}/g, serviceOf(endpoint).name));
  }
}
