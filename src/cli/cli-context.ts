import type { Command } from 'commander';
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
