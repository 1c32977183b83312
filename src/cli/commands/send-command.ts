import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { CHURN_SEED, churnRows } from '../../examples/index.js';
import { ApiError, type ApiClient } from '../api-client.js';
import { context, parsePositiveInt, print } from '../cli-context.js';
import { table } from '../format.js';

interface Tally {
  variant: string;
  version: number;
  requests: number;
  correct: number;
  latencyMs: number;
}

interface Counted {
  requests: number;
  share: number;
  accuracy: number;
  avg_latency_ms: number;
}

export interface SendSummary {
  sent: number;
  failed: number;
  errors: Record<string, number>;
  variants: Record<string, Counted & { versions: number[] }>;
  /** A row per variant and version that answered: a rollout that moves on mid-send shows both. */
  by_version: (Counted & { variant: string; version: number })[];
  canary_weight: number;
}

/** Sends labelled rows of the synthetic churn data (a different seed from training, like live traffic). */
export async function sendTraffic(
  client: ApiClient,
  model: string,
  count: number,
  opts: { concurrency: number; keys?: number; seed?: number; onProgress?: (done: number) => void },
): Promise<SendSummary> {
  const rows = churnRows(count, opts.seed ?? CHURN_SEED + 1);
  const tallies = new Map<string, Tally>();
  const errors: Record<string, number> = {};
  let next = 0;
  let done = 0;
  let failed = 0;
  const worker = async () => {
    while (next < rows.length) {
      const i = next++;
      const row = rows[i]!;
      try {
        const reply = await client.predict(model, {
          features: row.features,
          label: row.label,
          ...(opts.keys !== undefined ? { key: `user-${i % opts.keys}` } : {}),
        });
        const key = `${reply.variant}@${reply.version}`;
        const t = tallies.get(key) ?? { variant: reply.variant, version: reply.version, requests: 0, correct: 0, latencyMs: 0 };
        t.requests++;
        t.latencyMs += reply.latency_ms;
        if (reply.prediction === row.label) t.correct++;
        tallies.set(key, t);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'unreachable') throw err;
        failed++;
        const code = err instanceof ApiError ? err.code : 'client_error';
        errors[code] = (errors[code] ?? 0) + 1;
      }
      opts.onProgress?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, count) }, worker));
  const ok = count - failed;
  const counted = (t: Pick<Tally, 'requests' | 'correct' | 'latencyMs'>): Counted => ({
    requests: t.requests,
    share: ok === 0 ? 0 : t.requests / ok,
    accuracy: t.requests === 0 ? 0 : t.correct / t.requests,
    avg_latency_ms: t.requests === 0 ? 0 : t.latencyMs / t.requests,
  });
  const served = [...tallies.values()].sort((a, b) => (a.variant === b.variant ? a.version - b.version : a.variant === 'stable' ? -1 : 1));
  const variants: SendSummary['variants'] = {};
  for (const variant of new Set(served.map((t) => t.variant))) {
    const mine = served.filter((t) => t.variant === variant);
    const sum = mine.reduce((a, t) => ({ requests: a.requests + t.requests, correct: a.correct + t.correct, latencyMs: a.latencyMs + t.latencyMs }), { requests: 0, correct: 0, latencyMs: 0 });
    variants[variant] = { ...counted(sum), versions: mine.map((t) => t.version) };
  }
  const info = await client.getModel(model);
  return { sent: count, failed, errors, variants, by_version: served.map((t) => ({ variant: t.variant, version: t.version, ...counted(t) })), canary_weight: info.canary_weight };
}

export function summaryTable(s: SendSummary): string {
  const t = table(['variant', 'version', 'requests', 'share', 'weight', 'accuracy', 'avg latency']);
  for (const variant of ['stable', 'canary']) {
    const weight = variant === 'canary' ? s.canary_weight : 100 - s.canary_weight;
    const rows = s.by_version.filter((r) => r.variant === variant);
    if (rows.length === 0) t.push([variant, '-', 0, '0.0%', `${weight}%`, '-', '-']);
    for (const v of rows) t.push([variant, `v${v.version}`, v.requests, `${(v.share * 100).toFixed(1)}%`, `${weight}%`, `${(v.accuracy * 100).toFixed(1)}%`, `${v.avg_latency_ms.toFixed(2)}ms`]);
  }
  const failures = Object.entries(s.errors).map(([code, n]) => `${n} × ${code}`).join(', ');
  return `${t.toString()}\nsent ${s.sent}, failed ${s.failed}${failures ? ` (${failures})` : ''}`;
}

export function sendCommand(program: Command): void {
  program
    .command('send <n>')
    .description('send n labelled rows of the synthetic churn data and count where they went')
    .option('-c, --concurrency <c>', 'requests in flight at once', '8')
    .option('-k, --keys <k>', 'use k sticky keys (user-0 … user-k-1) instead of a random split')
    .option('--seed <seed>', 'data seed (same seed, same rows)')
    .action(async (n: string, opts: { concurrency: string; keys?: string; seed?: string }, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const count = parsePositiveInt(n, 'n');
      const bar = json || !process.stderr.isTTY ? undefined : new cliProgress.SingleBar({ format: 'sending [{bar}] {value}/{total} {eta_formatted}', clearOnComplete: true }, cliProgress.Presets.shades_classic);
      bar?.start(count, 0);
      try {
        const summary = await sendTraffic(client, model, count, {
          concurrency: parsePositiveInt(opts.concurrency, '--concurrency'),
          ...(opts.keys !== undefined ? { keys: parsePositiveInt(opts.keys, '--keys') } : {}),
          ...(opts.seed !== undefined ? { seed: parsePositiveInt(opts.seed, '--seed') } : {}),
          onProgress: (done) => bar?.update(done),
        });
        bar?.stop();
        print(json, summary, () => summaryTable(summary));
      } finally {
        bar?.stop();
      }
    });
}
