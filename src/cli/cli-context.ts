import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isLoopback, readAdminTokenFile } from '../app/index.js';
import { clientDataDir, clientToken, clientUrl, defaultModelName } from '../config/index.js';
import { ApiClient } from './api-client.js';

export interface GlobalOptions {
  url?: string;
  model?: string;
  token?: string;
  json?: boolean;
}

/**
 * --token, else COALMINE_ADMIN_TOKEN, else the token file a server on this machine generated:
 * only for a loopback URL, so a local token is never sent to another host.
 */
function token(opts: GlobalOptions, url: string): string | null {
  const explicit = clientToken(opts.token);
  if (explicit !== null) return explicit;
  return isLoopback(new URL(url).hostname.replace(/^\[|\]$/g, '')) ? readAdminTokenFile(clientDataDir(undefined)) : null;
}

/** Options every client command shares, read from the root program. */
export function context(cmd: Command): { client: ApiClient; model: string; json: boolean } {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  const url = clientUrl(opts.url);
  return { client: new ApiClient(url, token(opts, url)), model: defaultModelName(opts.model), json: opts.json === true };
}

export function print(json: boolean, value: unknown, text: () => string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text());
}

/** Parses "20", "20%", "0.5" as a percentage; commander hands strings over. */
export function parsePercent(raw: string): number {
  const value = Number(raw.trim().replace(/%$/, ''));
  if (raw.trim() === '' || !Number.isFinite(value)) throw new Error(`"${raw}" is not a percentage: use a number from 0 to 100, e.g. 20 or 0.5`);
  return value;
}

export function parsePositiveInt(raw: string, what: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${what} must be a whole number of at least 1, got "${raw}"`);
  return value;
}

/** Reads a file named on the command line; a missing or unreadable one is a sentence, not a raw ENOENT. */
export function readInputFile(path: string, what: string): Buffer {
  try {
    return readFileSync(resolve(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? String(err)})`;
    throw new Error(`${what} ${path} ${why}`);
  }
}

/** A YAML (or JSON) file named on the command line, parsed: a rollout spec, an external routing. */
export async function readYamlFile(path: string, what: string): Promise<unknown> {
  const { parse } = await import('yaml');
  return parse(readInputFile(path, what).toString('utf8')) as unknown;
}
