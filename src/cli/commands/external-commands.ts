import type { Command } from 'commander';
import type { ExternalRoutingInfo } from '../../wire/index.js';
import { context, print, readYamlFile } from '../cli-context.js';

function externalText(model: string, e: ExternalRoutingInfo | null): string {
  if (e === null) return `${model}: coalmine routes its traffic itself`;
  const metrics = e.metrics ? `; rollouts measure with ${e.metrics.provider} at ${e.metrics.url}${e.metrics.preset ? ` (preset ${e.metrics.preset})` : ''}` : '; rollouts measure with coalmine\'s telemetry';
  return `${model}: traffic split by ${e.where} (${e.router})${metrics}`;
}

/** `coalmine external`: put a model's traffic in a proxy's hands, or take it back (docs/controller.md). */
export function externalCommands(program: Command): void {
  const external = program.command('external').description("a proxy that splits a model's traffic instead of coalmine (HAProxy, nginx, Gateway API, ingress-nginx)");

  external
    .command('show')
    .description('who splits the model\'s traffic')
    .action(async (_opts, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const r = await client.externalRouting(model, 'GET');
      print(json, r, () => externalText(model, r.external_routing));
    });

  external
    .command('set <file>')
    .description('hand the model\'s traffic to the proxy in <file> (YAML or JSON with traffic: and optionally metrics:); the proxy is set to the current routing first')
    .action(async (file: string, _opts, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const r = await client.externalRouting(model, 'PUT', await readYamlFile(file, 'the external routing file'));
      print(json, r, () => externalText(model, r.external_routing));
    });

  external
    .command('clear')
    .description('route the model in coalmine again (the proxy is left as it is)')
    .action(async (_opts, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const r = await client.externalRouting(model, 'DELETE');
      print(json, r, () => externalText(model, r.external_routing));
    });
}
