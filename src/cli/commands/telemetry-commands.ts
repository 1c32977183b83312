import type { Command } from 'commander';
import type { FaultInput } from '../api-client.js';
import { context, print } from '../cli-context.js';
import { faultText, metricsTable, rollbackCheckText } from '../format.js';

/** "20ms" / "20" / "10-30ms" → a delay in ms or a [min, max] range. */
export function parseDelay(raw: string): number | [number, number] {
  const m = /^(\d+(?:\.\d+)?)(?:\s*-\s*(\d+(?:\.\d+)?))?\s*(ms)?$/.exec(raw.trim());
  if (!m) throw new Error(`--delay "${raw}" must look like 20ms or 10-30ms`);
  return m[2] === undefined ? Number(m[1]) : [Number(m[1]), Number(m[2])];
}

function parseShare(raw: string, flag: string): number {
  const v = raw.trim().endsWith('%') ? Number(raw.trim().slice(0, -1)) / 100 : Number(raw);
  if (!Number.isFinite(v)) throw new Error(`${flag} "${raw}" must be a share like 0.4 or 40%`);
  return v;
}

export function telemetryCommands(program: Command): void {
  program
    .command('metrics')
    .description("per-variant requests, share vs weight, accuracy, latency and errors (the lab's metrics table)")
    .option('-w, --window <duration>', 'only the last 30s, 5m, 1h … (default: since the last reset)')
    .action(async (opts: { window?: string }, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const m = await client.metrics(model, opts.window);
      print(json, m, () => metricsTable(m));
    });

  program
    .command('fault [variant]')
    .description('inject faults into a variant or the shadow: wrong answers, added latency, errors (--clear removes them)')
    .option('--wrong <share>', 'share of answers made wrong, e.g. 0.4')
    .option('--delay <ms>', 'added latency, e.g. 20ms or 10-30ms')
    .option('--errors <share>', 'share of requests that fail, e.g. 0.05')
    .option('--clear', 'remove faults (of the variant, or all)')
    .action(async (variant: string | undefined, opts: { wrong?: string; delay?: string; errors?: string; clear?: boolean }, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const input: FaultInput = {
        ...(variant !== undefined ? { variant } : {}),
        ...(opts.clear ? { clear: true } : {}),
        ...(opts.wrong !== undefined ? { wrong: parseShare(opts.wrong, '--wrong') } : {}),
        ...(opts.delay !== undefined ? { delay_ms: parseDelay(opts.delay) } : {}),
        ...(opts.errors !== undefined ? { errors: parseShare(opts.errors, '--errors') } : {}),
      };
      if (!opts.clear && variant === undefined) throw new Error('name the variant (stable, canary or shadow), or use --clear to remove all faults');
      const r = await client.setFault(model, input);
      print(json, r, () => faultText(r.faults) || `no faults injected into ${model}`);
    });

  program
    .command('fail')
    .description("the lab's failure simulation: the canary answers wrong 40% of the time (--off to stop)")
    .option('--off', 'turn the simulation off')
    .action(async (opts: { off?: boolean }, cmd: Command) => {
      const { client, json } = context(cmd);
      const r = await client.labFailure(!opts.off);
      print(json, r, () => r.message);
    });

  program
    .command('check-rollback')
    .description("the lab's rollback check: canary accuracy below the threshold (or p95 above it) sets its weight to 0")
    .action(async (_opts, cmd: Command) => {
      const { client, json } = context(cmd);
      const r = await client.checkRollback();
      print(json, r, () => rollbackCheckText(r));
    });

  program
    .command('feedback <request-id> <label>')
    .description('send the ground truth for an earlier prediction')
    .option('--row <n>', 'row of a batch request', '0')
    .action(async (requestId: string, label: string, opts: { row: string }, cmd: Command) => {
      const { client, json } = context(cmd);
      const value = label.trim() !== '' && Number.isFinite(Number(label)) ? Number(label) : label;
      const r = await client.feedback([{ request_id: requestId, label: value, row: Number(opts.row) }]);
      print(json, r, () => r.results.map((x) => `${x.request_id}: ${x.status} — ${x.message}`).join('\n'));
    });
}
