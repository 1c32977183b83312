import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { appError, type HaproxyTrafficSpec } from '../../domain/index.js';
import { hostPort, type WeightPlan, type WeightRouter, type WeightTarget } from '../weight-router.js';
import { HaproxyRuntimeApi, parseServersState, type ServerState } from './haproxy-runtime-api.js';
import { HAPROXY_MAX_WEIGHT, haproxyPlan } from './haproxy-weights.js';

/** What a rollout spec's `traffic:` says of HAProxy: the stats socket, the backend and its two server slots. */
export type HaproxyRouterConfig = Pick<HaproxyTrafficSpec, 'socket' | 'backend' | 'servers'>;

/** An answer of the runtime API that reports a refusal rather than a change. */
const REFUSED = /^(No such|Unknown|Permission denied|Invalid|Require|Can't|Cannot|.*not found|.*expects)/i;

/**
 * Drives a HAProxy backend through its runtime API: points the two server slots at the versions'
 * addresses (`set server … addr`), sets their weights (`set server … weight`), and verifies with
 * `show servers state`. Changes made this way live in HAProxy's memory: a restart of HAProxy
 * reverts to its config file, which verify() notices and the next reconcile repairs.
 */
export class HaproxyRouter implements WeightRouter {
  readonly kind = 'haproxy';
  readonly where: string;
  private readonly api: HaproxyRuntimeApi;

  constructor(private readonly config: HaproxyRouterConfig) {
    this.api = new HaproxyRuntimeApi(config.socket);
    this.where = `HAProxy backend ${config.backend} (servers ${config.servers.stable}, ${config.servers.canary}) via ${config.socket}`; // as describeTraffic() says it
  }

  plan(canaryWeightBp: number): WeightPlan {
    return haproxyPlan(canaryWeightBp);
  }

  private async command(command: string): Promise<string> {
    let answer: string;
    try {
      answer = await this.api.run(command);
    } catch (err) {
      throw appError('router_unavailable', `${(err as Error).message}; check that HAProxy runs and its stats socket is at "${this.config.socket}" with "level admin"`);
    }
    const first = answer.trim().split('\n')[0] ?? '';
    if (REFUSED.test(first)) throw appError('router_unavailable', `HAProxy refused "${command}": ${first}`);
    return answer;
  }

  /** The backend's slots as HAProxy holds them now. */
  async state(): Promise<{ stable: ServerState; canary: ServerState }> {
    const servers = parseServersState(await this.command(`show servers state ${this.config.backend}`));
    const slot = (name: string) => {
      const s = servers.find((x) => x.backend === this.config.backend && x.server === name);
      if (!s) throw appError('router_unavailable', `HAProxy backend "${this.config.backend}" has no server "${name}" (it has ${servers.map((x) => x.server).join(', ') || 'none'}); add it to the backend in haproxy.cfg`);
      return s;
    };
    return { stable: slot(this.config.servers.stable), canary: slot(this.config.servers.canary) };
  }

  /**
   * Moves a slot to another address. HAProxy would go on reusing the slot's idle connections to
   * the old address after `set server … addr`, so requests kept reaching the old version; a slot
   * taken through maintenance drops them, and comes back ready at the new address.
   */
  private async point(server: string, endpoint: string): Promise<void> {
    const { host, port } = await resolve(endpoint);
    await this.command(`set server ${this.config.backend}/${server} state maint`);
    await this.command(`set server ${this.config.backend}/${server} addr ${host} port ${port}`);
    await this.command(`set server ${this.config.backend}/${server} state ready`);
  }

  private async weigh(server: string, weight: number): Promise<void> {
    await this.command(`set server ${this.config.backend}/${server} weight ${weight}`);
  }

  /**
   * Every move keeps a ready slot carrying the traffic: the stable slot changes address (a
   * promotion) only while the canary slot, pointed at the same version, takes everything, and the
   * canary slot changes address only while it has no weight.
   */
  async setWeights(target: WeightTarget): Promise<WeightPlan> {
    const plan = this.plan(target.canary === null ? 0 : target.canaryWeightBp);
    const { stable, canary } = this.config.servers;
    let now = await this.state();
    if (!(await sameAddress(now.stable, target.stable))) {
      if (!(await sameAddress(now.canary, target.stable))) {
        await this.weigh(canary, 0);
        await this.point(canary, target.stable);
      }
      await this.weigh(canary, HAPROXY_MAX_WEIGHT);
      await this.weigh(stable, 0);
      await this.point(stable, target.stable);
      await this.weigh(stable, HAPROXY_MAX_WEIGHT);
      await this.weigh(canary, 0);
      now = await this.state();
    }
    if (target.canary !== null && !(await sameAddress(now.canary, target.canary))) {
      await this.weigh(canary, 0);
      await this.point(canary, target.canary);
    }
    await this.weigh(stable, plan.stableWeight);
    await this.weigh(canary, plan.canaryWeight);
    if (!(await this.verify(target))) {
      throw appError('router_unavailable', `HAProxy accepted the change to ${this.where} but "show servers state" does not show it (stable ${target.stable} at ${plan.stableWeight}, canary ${target.canary ?? '-'} at ${plan.canaryWeight})`);
    }
    return plan;
  }

  async verify(target: WeightTarget): Promise<boolean> {
    const plan = this.plan(target.canary === null ? 0 : target.canaryWeightBp);
    const now = await this.state();
    if (!(await sameAddress(now.stable, target.stable)) || now.stable.weight !== plan.stableWeight) return false;
    if (now.canary.weight !== plan.canaryWeight) return false;
    // A slot left in maintenance or drain (forced: admin state bits 0x01, 0x08) takes nothing, whatever its weight.
    if ([now.stable, now.canary].some((s) => s.weight > 0 && (s.adminState & 0x09) !== 0)) return false;
    return target.canary === null || (await sameAddress(now.canary, target.canary));
  }
}

/** HAProxy's `set server … addr` takes an IP address: a host name is looked up first. */
async function resolve(endpoint: string): Promise<{ host: string; port: number }> {
  let hp: { host: string; port: number };
  try {
    hp = hostPort(endpoint);
  } catch (err) {
    throw appError('invalid_request', `${(err as Error).message}; a HAProxy server's endpoint is host:port`);
  }
  if (isIP(hp.host)) return hp;
  try {
    return { host: (await lookup(hp.host)).address, port: hp.port };
  } catch (err) {
    throw appError('invalid_request', `cannot look up "${hp.host}" of endpoint ${endpoint}: ${(err as Error).message}`);
  }
}

async function sameAddress(s: ServerState, endpoint: string): Promise<boolean> {
  const want = await resolve(endpoint);
  return s.addr === want.host && s.port === want.port;
}
