import type { Command } from 'commander';
import { context, parsePercent, parsePositiveInt, print } from '../cli-context.js';
import { rollbackCheckText, statusText } from '../format.js';

export function routingCommands(program: Command): void {
  program
    .command('status')
    .description('show stable and canary versions, weights and recent changes of a model')
    .action(async (_opts, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const [info, events] = await Promise.all([client.getModel(model), client.events(model, 5)]);
      print(json, { ...info, events }, () => statusText(info, events));
    });

  program
    .command('canary <percent>')
    .description('set the share of traffic the canary gets, in percent (decimals allowed, e.g. 0.5)')
    .action(async (percent: string, _opts, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const info = await client.setWeight(model, parsePercent(percent));
      print(json, info, () => `canary v${info.canary_version} of ${model} now gets ${info.canary_weight}% of traffic`);
    });

  program
    .command('deploy <version>')
    .description('deploy a registered version as the canary')
    .option('-w, --weight <percent>', 'canary weight in percent (default: the server default, 10%)')
    .action(async (version: string, opts: { weight?: string }, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const info = await client.deploy(model, parsePositiveInt(version.replace(/^v/i, ''), 'version'), opts.weight === undefined ? undefined : parsePercent(opts.weight));
      print(json, info, () => `deployed v${info.canary_version} of ${model} as canary at ${info.canary_weight}%`);
    });

  program
    .command('promote')
    .description('make the canary the new stable version (weight back to 0)')
    .action(async (_opts, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const info = await client.promote(model);
      print(json, info, () => `promoted v${info.stable_version} of ${model} to stable (previous stable v${info.previous_stable_version})`);
    });

  program
    .command('rollback')
    .description('send all traffic back to stable and clear the canary')
    .option('-r, --reason <text>', 'why, for the change log')
    .option('--check', "roll back only if the lab's check fails (canary accuracy below the threshold or p95 above it)")
    .action(async (opts: { reason?: string; check?: boolean }, cmd: Command) => {
      const { client, model, json } = context(cmd);
      if (opts.check) {
        const r = await client.checkRollback();
        print(json, r, () => rollbackCheckText(r));
        return;
      }
      const info = await client.rollback(model, opts.reason);
      print(json, info, () => `rolled back canary v${info.last_canary_version} of ${model}; all traffic goes to stable v${info.stable_version}`);
    });

  program
    .command('reset')
    .description('restore the canary (current or last rolled back) at the default weight')
    .action(async (_opts, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const info = await client.reset(model);
      print(json, info, () =>
        info.canary_version === null ? `${model} has no canary to restore; all traffic on stable v${info.stable_version}` : `reset ${model}: canary v${info.canary_version} at ${info.canary_weight}%`,
      );
    });
}
