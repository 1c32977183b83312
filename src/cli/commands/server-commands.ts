import type { Command } from 'commander';
import { createApp, ensureExampleModels, type App } from '../../app/index.js';
import type { ConfigOverrides } from '../../config/index.js';
import { ApiClient } from '../api-client.js';
import { parsePositiveInt } from '../cli-context.js';
import { runDemo } from '../demo/demo.js';
import { superviseWorkers, workerNumber } from './workers.js';

interface ServeOptions {
  host?: string;
  port?: string;
  dataDir?: string;
  databaseUrl?: string;
  examples?: boolean;
  demo?: boolean;
  generateToken?: boolean;
  stopWithParent?: boolean;
  quietUntilServing?: boolean;
  workers?: string;
}

function overrides(opts: ServeOptions): ConfigOverrides {
  return {
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    ...(opts.port !== undefined ? { port: opts.port === '0' ? 0 : parsePositiveInt(opts.port, '--port') } : {}),
    ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
    ...(opts.databaseUrl !== undefined ? { databaseUrl: opts.databaseUrl } : {}),
  };
}

/** Stops cleanly on SIGINT/SIGTERM: no new connections, in-flight requests finish, the store closes. */
function closeOnSignals(app: App): (why: string) => void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
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
  return stop;
}

/**
 * `npm start` runs the server under npm; killed, npm does not always pass the signal on, and the
 * server would keep the port with no terminal to stop it from. Only `start` does this: `serve`
 * may be daemonized on purpose (nohup, a supervisor), and its parent may go away.
 */
function stopWithParent(stop: (why: string) => void): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop('parent process exited');
  }, 1000).unref();
}

async function serve(opts: ServeOptions, examples: boolean): Promise<App> {
  const app = await createApp(overrides(opts), { generateAdminToken: opts.generateToken === true, ...(workerNumber() !== null ? { workerOf: process.ppid } : {}) });
  if (examples) {
    const result = await ensureExampleModels(app.registry, app.config.resetCanaryWeightBp);
    if (result.created) app.log.info({ model: 'churn' }, 'created the example model churn: v1 stable, v2 canary');
  }
  const stop = closeOnSignals(app);
  if (opts.stopWithParent) stopWithParent(stop);
  // A worker whose primary is gone (even by SIGKILL) loses its IPC channel: it stops too.
  if (workerNumber() !== null) process.once('disconnect', () => stop('the serve --workers primary exited'));
  // The demo's story is told on stdout; the server's info lines (listening, every step it takes)
  // would interleave with it, so they wait until the story is over. Its end prints the address.
  if (opts.quietUntilServing) app.log.level = 'warn';
  await app.listen();
  return app;
}

function addServerOptions(cmd: Command): Command {
  return cmd
    .option('--host <host>', 'address to listen on (env COALMINE_HOST, default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (env COALMINE_PORT, default 8080)')
    .option('--data-dir <dir>', 'where models and state live (env COALMINE_DATA_DIR, default ./.coalmine)')
    .option('--database-url <url>', 'keep the state in PostgreSQL, shared by every replica (env COALMINE_DATABASE_URL, postgres://…); the data directory then caches model files')
    .option('--generate-token', 'if no admin token is set, write a new one to <data-dir>/admin-token (needed to listen beyond loopback without COALMINE_ADMIN_TOKEN)');
}

export function serverCommands(program: Command): void {
  addServerOptions(program.command('serve'))
    .description('run the coalmine server')
    .option('--examples', 'create the example model churn if it is missing')
    .option('--workers <n>', 'run n processes sharing the port and the state (the data directory, or --database-url)')
    .action(async (opts: ServeOptions) => {
      const workers = opts.workers === undefined ? 1 : parsePositiveInt(opts.workers, '--workers');
      const k = workerNumber();
      if (workers > 1 && k === null) {
        await superviseWorkers({ workers, overrides: overrides(opts), generateToken: opts.generateToken === true, examples: opts.examples === true });
        return;
      }
      // In a worker, only the first creates the example model; the others find it.
      await serve(opts, opts.examples === true && (k === null || k === 1));
    });

  addServerOptions(program.command('start'))
    .description('what `npm start` runs: the server with the example model churn, the full demo, then it keeps serving')
    .option('--no-demo', 'skip the demo and just serve')
    .action(async (opts: ServeOptions) => {
      const app = await serve({ ...opts, stopWithParent: true, quietUntilServing: opts.demo !== false }, true);
      const address = app.http.server.address();
      const port = address !== null && typeof address === 'object' ? address.port : app.config.port;
      const url = `http://${app.config.host === '0.0.0.0' ? '127.0.0.1' : app.config.host}:${port}`;
      if (opts.demo !== false) {
        const client = new ApiClient(url, app.adminToken);
        try {
          await runDemo({ client, model: 'churn', workflow: 'full', requests: 400, seed: 7, progress: process.stderr.isTTY === true, out: (t) => console.log(t) });
          // Leave the example where a newcomer can play with a live canary; the change log keeps the demo.
          const info = await client.getModel('churn');
          if (info.stable_version !== 1) {
            await client.deploy('churn', 1, 0);
            await client.promote('churn');
          }
          await client.deploy('churn', 2, 20);
          await client.reset('churn');
        } finally {
          // The story is over: the server's log at its configured level from here on.
          app.log.level = app.config.logLevel;
        }
        console.log('\nThe example is back at its starting point for you to explore: v1 stable, v2 as a 20% canary (the change log keeps the demo).');
      }
      console.log(
        [
          '',
          `coalmine is serving model "churn" at ${url}`,
          `Open the live dashboard: ${url}/`,
          '',
          `  curl -s ${url}/predict -H 'content-type: application/json' -d '{"features": [0.5, 1.2, 0.8, 0.3, 1.1]}'`,
          `  npx coalmine status              # versions, weights, faults, recent changes`,
          `  npx coalmine send 200            # labelled traffic, counted per variant`,
          `  npx coalmine metrics             # the lab's metrics table`,
          `  npx coalmine fail                # make the canary answer wrong 40% of the time`,
          `  npx coalmine check-rollback      # the lab's rollback check`,
          `  npx coalmine promote | rollback  # finish the experiment`,
          `  ${url}/metrics                   # Prometheus metrics`,
          '',
          'Ctrl+C stops the server; state is kept in the data directory.',
        ].join('\n'),
      );
    });
}
