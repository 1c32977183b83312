import type { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, ensureExampleModels } from '../../app/index.js';
import { ApiClient } from '../api-client.js';
import { context, parsePositiveInt } from '../cli-context.js';
import { runDemo, type Workflow } from '../demo/demo.js';

const WORKFLOWS: readonly Workflow[] = ['full', 'deploy', 'promote'];

export function parseWorkflow(raw: string): Workflow {
  if (!(WORKFLOWS as readonly string[]).includes(raw)) throw new Error(`--workflow must be one of ${WORKFLOWS.join(', ')}, got "${raw}"`);
  return raw as Workflow;
}

export function demoCommand(program: Command): void {
  program
    .command('demo')
    .description('tell the whole story: a degrading canary caught and rolled back, a healthy one promoted')
    .option('--workflow <name>', 'full, deploy (failure) or promote (success)', 'full')
    .option('--requests <n>', 'labelled requests per round', '400')
    .option('--seed <n>', 'traffic seed: the same seed tells the same story', '7')
    .action(async (opts: { workflow: string; requests: string; seed: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<{ url?: string }>();
      const { model, json } = context(cmd);
      const workflow = parseWorkflow(opts.workflow);
      const requests = parsePositiveInt(opts.requests, '--requests');
      const seed = parsePositiveInt(opts.seed, '--seed');
      const out = json ? () => undefined : (t: string) => console.log(t);
      if (globals.url !== undefined) {
        const results = await runDemo({ client: context(cmd).client, model, workflow, requests, seed, progress: !json && process.stderr.isTTY === true, out });
        if (json) console.log(JSON.stringify(results, null, 2));
        return;
      }
      // No server named: run one on a throwaway data directory with the example models.
      const dataDir = mkdtempSync(join(tmpdir(), 'coalmine-demo-'));
      const app = await createApp({ dataDir, port: 0, host: '127.0.0.1', logLevel: 'warn' });
      try {
        await ensureExampleModels(app.registry, app.config.resetCanaryWeightBp);
        const url = await app.listen();
        out(`coalmine demo: a server with the example model "churn" is running at ${url} (data in ${dataDir})`);
        const results = await runDemo({ client: new ApiClient(url), model: 'churn', workflow, requests, seed, progress: !json && process.stderr.isTTY === true, out });
        if (json) console.log(JSON.stringify(results, null, 2));
      } finally {
        await app.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
}
