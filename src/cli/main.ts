#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { ApiError } from './api-client.js';
import { demoCommand } from './commands/demo-command.js';
import { modelCommands } from './commands/model-commands.js';
import { shadowCommands } from './commands/shadow-commands.js';
import { rolloutCommands } from './commands/rollout-commands.js';
import { routingCommands } from './commands/routing-commands.js';
import { externalCommands } from './commands/external-commands.js';
import { sendCommand } from './commands/send-command.js';
import { serverCommands } from './commands/server-commands.js';
import { telemetryCommands } from './commands/telemetry-commands.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('coalmine')
    .description('Safe canary releases for machine-learning models')
    .version(pkg.version)
    .option('--url <url>', 'server to talk to (env COALMINE_URL, default http://127.0.0.1:8080)')
    .option('--model <name>', 'model to act on (env COALMINE_DEFAULT_MODEL, default churn)')
    .option('--token <token>', 'admin token (env COALMINE_ADMIN_TOKEN, else <data-dir>/admin-token of COALMINE_DATA_DIR or ./.coalmine)')
    .option('--json', 'print JSON instead of tables')
    .showHelpAfterError()
    .exitOverride();
  serverCommands(program);
  modelCommands(program);
  routingCommands(program);
  externalCommands(program);
  sendCommand(program);
  telemetryCommands(program);
  demoCommand(program);
  rolloutCommands(program);
  shadowCommands(program);
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    const message = err instanceof ApiError ? `${err.message} [${err.code}]` : err instanceof Error ? err.message : String(err);
    console.error(`coalmine: ${message}`);
    process.exit(err instanceof ApiError && err.code === 'unreachable' ? 3 : 1);
  }
}

void main();
