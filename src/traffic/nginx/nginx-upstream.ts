import type { WeightPlan, WeightTarget } from '../weight-router.js';

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * A share as nginx weights: relative integers, so stable 10000−bp and canary bp reduced by their
 * greatest common divisor give the share exactly (20% is 4:1, 0.5% is 199:1). nginx has no weight
 * 0: a side without traffic is left out of the upstream.
 */
export function nginxPlan(canaryWeightBp: number): WeightPlan {
  const stable = 10_000 - canaryWeightBp;
  const d = canaryWeightBp === 0 || stable === 0 ? 10_000 : gcd(stable, canaryWeightBp);
  return {
    requestedBp: canaryWeightBp,
    effectiveBp: canaryWeightBp,
    stableWeight: stable / d,
    canaryWeight: canaryWeightBp / d,
    scale: 'nginx relative weights (reduced to lowest terms: exact); a side at 0% is left out of the upstream',
  };
}

/** What the status page of a written upstream says: the servers and weights nginx serves. */
export function upstreamDigest(target: WeightTarget): string {
  const p = nginxPlan(target.canary === null ? 0 : target.canaryWeightBp);
  const parts = [];
  if (p.stableWeight > 0) parts.push(`${target.stable} weight=${p.stableWeight}`);
  if (p.canaryWeight > 0 && target.canary !== null) parts.push(`${target.canary} weight=${p.canaryWeight}`);
  return parts.join(', ');
}

/**
 * The include file coalmine owns: the upstream block, and, when `status` is set, a server on that
 * loopback address that answers /coalmine/<upstream> with what the upstream holds, so a reload
 * can be verified from what nginx serves rather than from the file coalmine wrote.
 */
export function renderUpstream(opts: { upstream: string; model: string; status: string | null; keepalive: number }, target: WeightTarget): string {
  const p = nginxPlan(target.canary === null ? 0 : target.canaryWeightBp);
  const servers: string[] = [];
  if (p.stableWeight > 0) servers.push(`  server ${target.stable} weight=${p.stableWeight};`);
  if (p.canaryWeight > 0 && target.canary !== null) servers.push(`  server ${target.canary} weight=${p.canaryWeight};`);
  const lines = [
    `# Written by coalmine for model "${opts.model}"; changed on every rollout step. Edit the rollout, not this file.`,
    `# canary share ${p.requestedBp / 100}%`,
    `upstream ${opts.upstream} {`,
    ...servers,
    ...(opts.keepalive > 0 ? [`  keepalive ${opts.keepalive};`] : []),
    '}',
  ];
  if (opts.status) {
    lines.push(
      'server {',
      `  listen ${opts.status};`,
      `  server_name coalmine-${opts.upstream};`,
      `  location = /coalmine/${opts.upstream} { default_type text/plain; return 200 "${upstreamDigest(target)}"; }`,
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}
