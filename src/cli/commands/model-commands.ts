import type { Command } from 'commander';
import { basename } from 'node:path';
import { createApp, ensureExampleModels } from '../../app/index.js';
import { buildChurnExamples } from '../../examples/index.js';
import { context, print, readInputFile } from '../cli-context.js';
import { modelsTable, versionsTable } from '../format.js';

function parseMetricOption(value: string, previous: Record<string, number>): Record<string, number> {
  const [name, raw] = value.split('=');
  const num = Number(raw);
  if (!name || raw === undefined || raw.trim() === '' || !Number.isFinite(num)) throw new Error(`--metric "${value}" must look like name=number, e.g. accuracy=0.91`);
  return { ...previous, [name]: num };
}

export function modelCommands(program: Command): void {
  const models = program.command('models').description('register and inspect models and versions');

  models
    .command('list')
    .description('list registered models')
    .action(async (_opts, cmd: Command) => {
      const { client, json } = context(cmd);
      const list = await client.listModels();
      print(json, list, () => modelsTable(list));
    });

  models
    .command('show [name]')
    .description('show the versions of a model with their signature and metrics')
    .action(async (name: string | undefined, _opts, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const info = await client.getModel(name ?? model);
      print(json, info, () => `model ${info.name}\n${versionsTable(info)}`);
    });

  models
    .command('add <name> <file>')
    .description('register an ONNX file as the next version of a model (created if new)')
    .option('-d, --description <text>', 'what this version is')
    .option('-s, --source <text>', 'where it came from (default: the file path)')
    .option('-m, --metric <name=value>', 'a metric from training, e.g. accuracy=0.91 (repeatable)', parseMetricOption, {})
    .action(async (name: string, file: string, opts: { description?: string; source?: string; metric: Record<string, number> }, cmd: Command) => {
      const { client, json } = context(cmd);
      const bytes = readInputFile(file, 'the model file');
      const v = await client.register(name, bytes, { description: opts.description, source: opts.source ?? basename(file), metrics: opts.metric });
      print(json, v, () => `registered ${name} v${v.version} (${v.signature.task}, ${v.signature.input.features ?? 'any number of'} features)${v.role === 'stable' ? ' as stable' : ''}`);
    });

  models
    .command('example')
    .description('create the example model "churn": v1 stable, v2 (more accurate) as a 20% canary')
    .option('--data-dir <dir>', 'write into a data directory directly instead of a running server')
    .action(async (opts: { dataDir?: string }, cmd: Command) => {
      const { client, json } = context(cmd);
      if (opts.dataDir !== undefined) {
        const app = await createApp({ dataDir: opts.dataDir, logLevel: 'warn' });
        try {
          const result = await ensureExampleModels(app.registry, app.config.resetCanaryWeightBp);
          print(json, { created: result.created }, () => (result.created ? `created model churn in ${app.config.dataDir}` : 'model churn exists already; nothing changed'));
        } finally {
          await app.close();
        }
        return;
      }
      const existing = await client.listModels();
      if (existing.some((m) => m.name === 'churn')) {
        print(json, { created: false }, () => 'model churn exists already; nothing changed');
        return;
      }
      for (const example of buildChurnExamples()) {
        await client.register('churn', example.bytes, { description: example.description, source: 'coalmine models example', metrics: example.metrics });
      }
      const info = await client.deploy('churn', 2, 20);
      print(json, info, () => `created model churn: v1 stable, v2 canary at ${info.canary_weight}%\n${versionsTable(info)}`);
    });
}
