import type { Command } from 'commander';
import { basename } from 'node:path';
import { createApp, ensureExampleModels } from '../../app/index.js';
import { buildChurnExamples } from '../../examples/index.js';
import { context, parsePositiveInt, print, readInputFile } from '../cli-context.js';
import { inputsText, modelsTable, versionsTable } from '../format.js';

function parseMetricOption(value: string, previous: Record<string, number>): Record<string, number> {
  const [name, raw] = value.split('=');
  const num = Number(raw);
  if (!name || raw === undefined || raw.trim() === '' || !Number.isFinite(num)) throw new Error(`--metric "${value}" must look like name=number, e.g. accuracy=0.91`);
  return { ...previous, [name]: num };
}

interface AddOptions {
  description?: string;
  source?: string;
  metric: Record<string, number>;
  upstream?: string;
  protocol?: string;
  features?: number;
  task?: string;
  endpoint?: string;
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
    .command('add <name> [file]')
    .description('register the next version of a model (created if new): an ONNX file, or a model server with --upstream')
    .option('-d, --description <text>', 'what this version is')
    .option('-s, --source <text>', 'where it came from (default: the file path or the URL)')
    .option('-m, --metric <name=value>', 'a metric from training, e.g. accuracy=0.91 (repeatable)', parseMetricOption, {})
    .option('-u, --upstream <url>', 'a model server that serves this version: http://host:port/v2/models/<m> (Open Inference Protocol), http://host:port (MLflow), http://host:port/v1/models/<m> (TF Serving)')
    .option('--protocol <name>', 'open-inference, mlflow or tf-serving (default: inferred from the URL)')
    .option('--features <n>', 'values per row, for a server that publishes no signature (MLflow, KServe V1)', (raw: string) => parsePositiveInt(raw, '--features'))
    .option('--task <task>', 'classifier or regressor, when the server\'s answer does not say (a bare number per row)')
    .option('--endpoint <host:port>', 'where a proxy coalmine drives sends this version\'s share (a rollout\'s traffic.router); default: the --upstream URL\'s host:port')
    .action(async (name: string, file: string | undefined, opts: AddOptions, cmd: Command) => {
      const { client, json } = context(cmd);
      if ((file === undefined) === (opts.upstream === undefined)) {
        throw new Error(file === undefined ? 'give the ONNX file to register, or --upstream URL for a model server' : 'give an ONNX file or --upstream URL, not both');
      }
      if (opts.task !== undefined && opts.task !== 'classifier' && opts.task !== 'regressor') throw new Error(`--task must be classifier or regressor, got ${opts.task}`);
      const meta = { description: opts.description, metrics: opts.metric, endpoint: opts.endpoint };
      const v =
        opts.upstream !== undefined
          ? await client.registerUpstream(name, { url: opts.upstream, protocol: opts.protocol, features: opts.features, task: opts.task as 'classifier' | 'regressor' | undefined }, { ...meta, source: opts.source })
          : await client.register(name, readInputFile(file!, 'the model file'), { ...meta, source: opts.source ?? basename(file!) });
      const from = v.upstream ? ` served by ${v.upstream.url} (${v.upstream.protocol})` : '';
      print(json, v, () => `registered ${name} v${v.version}${from}: ${v.signature.task}, inputs ${inputsText(v.signature.inputs)}${v.role === 'stable' ? '; it is stable' : ''}`);
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
