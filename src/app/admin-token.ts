import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { checkToken, type Config } from '../config/index.js';
import { AppError } from '../domain/index.js';

/** The token file in the data directory: written by `serve --generate-token`, read by server and CLI. */
export const ADMIN_TOKEN_FILE = 'admin-token';

export function adminTokenPath(dataDir: string): string {
  return join(dataDir, ADMIN_TOKEN_FILE);
}

export function readAdminTokenFile(dataDir: string): string | null {
  let text: string;
  try {
    text = readFileSync(adminTokenPath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return checkToken(text.trim(), `the token in ${adminTokenPath(dataDir)}`);
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export type TokenSource = 'environment' | 'file' | 'generated' | 'none';

/**
 * The admin token the server enforces: COALMINE_ADMIN_TOKEN, else the token file, else a new
 * file when asked to generate one. A server reachable from other machines refuses to start
 * without one: anyone on the network could otherwise move traffic or roll back a model.
 */
export function resolveAdminToken(config: Config, generate: boolean): { token: string | null; source: TokenSource } {
  if (config.adminToken !== null) return { token: config.adminToken, source: 'environment' };
  const fromFile = readAdminTokenFile(config.dataDir);
  if (fromFile !== null) return { token: fromFile, source: 'file' };
  if (generate) {
    mkdirSync(config.dataDir, { recursive: true });
    const token = randomBytes(32).toString('base64url');
    // 'wx': never overwrite a token someone else just wrote; 0600: only this user may read it.
    const fd = openSync(adminTokenPath(config.dataDir), 'wx', 0o600);
    try {
      writeSync(fd, `${token}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return { token, source: 'generated' };
  }
  if (!isLoopback(config.host)) {
    throw new AppError(
      'invalid_request',
      `configuration: coalmine would listen on ${config.host}, which other machines can reach, but no admin token is set. ` +
        `Set COALMINE_ADMIN_TOKEN to a secret of 16+ characters (e.g. $(openssl rand -hex 32)), or start once with --generate-token ` +
        `to write one to ${adminTokenPath(config.dataDir)} (the CLI reads it from there).`,
    );
  }
  return { token: null, source: 'none' };
}

/**
 * One line for the start-up log that says who may change state and why, naming the token file
 * when it is the reason: a leftover file from one `--generate-token` run otherwise closes the
 * open loopback mode without a word.
 */
export function accessModeText(source: TokenSource, config: Pick<Config, 'dataDir' | 'protectReads'>): string {
  const reads = config.protectReads ? 'reads need it too (COALMINE_PROTECT_READS)' : 'reads, predictions and feedback stay open';
  switch (source) {
    case 'environment':
      return `access: admin changes need the token from COALMINE_ADMIN_TOKEN; ${reads}`;
    case 'file':
    case 'generated':
      return `access: admin changes need the token in ${adminTokenPath(config.dataDir)}${source === 'generated' ? ' (just generated)' : ''}; ${reads}. Delete that file to go back to the open loopback mode`;
    case 'none':
      return 'access: open (loopback only, no admin token set); other web pages cannot change or read state (Host, Origin and Sec-Fetch-Site are checked)';
  }
}
