import type { Command } from 'commander';
import { createApp, ensureExampleModels, type App } from '../../app/index.js';
import type { ConfigOverrides } from '../../config/index.js';
import { parsePositiveInt } from '../cli-context.js';

interface ServeOptions {
  host?: string;
  port?: string;
  dataDir?: string;
  examples?: boolean;
}

function overrides(opts: ServeOptions): ConfigOverrides {
  return {
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    ...(opts.port !== undefined ? { port: opts.port === '0' ? 0 : parsePositiveInt(opts.port, '--port') } : {}),
    ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
  };
}

/** Stops cleanly on SIGINT/SIGTERM: no new connections, in-flight requests finish, the store closes. */
function closeOnSignals(app: App): void {
  const stop = (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

async function serve(opts: ServeOptions, examples: boolean): Promise<App> {
  const app = await createApp(overrides(opts));
  if (examples) {
    const result = await ensureExampleModels(app.registry, app.config.resetCanaryWeightBp);
    if (result.created) app.log.info({ model: 'churn' }, 'created the example model churn: v1 stable, v2 canary');
  }
  closeOnSignals(app);
  const url = await app.listen();
  return Object.assign(app, { url });
}

function addServerOptions(cmd: Command): Command {
  return cmd
    .option('--host <host>', 'address to listen on (env COALMINE_HOST, default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (env COALMINE_PORT, default 8080)')
    .option('--data-dir <dir>', 'where models and state live (env COALMINE_DATA_DIR, default ./.coalmine)');
}

export function serverCommands(program: Command): void {
  addServerOptions(program.command('serve'))
    .description('run the coalmine server')
    .option('--examples', 'create the example model churn if it is missing')
    .action(async (opts: ServeOptions) => {
      await serve(opts, opts.examples === true);
    });

  addServerOptions(program.command('start'))
    .description('what `npm start` runs: the server with the example model churn (v1 stable, v2 canary)')
    .action(async (opts: ServeOptions) => {
      const app = await serve(opts, true);
      const url = `http://${app.config.host}:${app.http.server.address() && typeof app.http.server.address() === 'object' ? (app.http.server.address() as { port: number }).port : app.config.port}`;
      console.log(
        [
          '',
          `coalmine is serving model "churn" at ${url}: v1 stable, v2 as a canary.`,
          '',
          `  curl -s ${url}/predict -H 'content-type: application/json' -d '{"features": [0.5, 1.2, 0.8, 0.3, 1.1]}'`,
          `  npx coalmine status              # versions, weights, recent changes`,
          `  npx coalmine send 200            # labelled traffic, counted per variant`,
          `  npx coalmine canary 50           # move the split`,
          `  npx coalmine promote | rollback  # finish the experiment`,
          '',
          'Ctrl+C stops the server; state is kept in the data directory.',
        ].join('\n'),
      );
    });
}
