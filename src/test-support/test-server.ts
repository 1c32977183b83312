import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createApp, ensureExampleModels, type App } from '../app/index.js';
import type { ConfigOverrides } from '../config/index.js';

/**
 * Replies are checked field by field with assertions, which are the real type check here; typing
 * every reply shape in the tests would restate the API schemas without testing anything more.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface TestServer {
  readonly app: App;
  readonly url: string;
  readonly dataDir: string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: Json }>;
  close(): Promise<void>;
}

/** A real coalmine server on a loopback port with a temporary data directory. */
export async function startTestServer(
  opts: { examples?: boolean; overrides?: ConfigOverrides; dataDir?: string; keepDataDir?: boolean } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'coalmine-e2e-'));
  const app = await createApp(
    { host: '127.0.0.1', port: 0, dataDir, ...opts.overrides },
    { logger: pino({ level: process.env.COALMINE_TEST_LOG ?? 'silent' }) },
  );
  if (opts.examples !== false) await ensureExampleModels(app.registry, app.config.resetCanaryWeightBp);
  const url = await app.listen();
  return {
    app,
    url,
    dataDir,
    async request(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (body !== undefined) {
        if (body instanceof Uint8Array) {
          init.body = body;
          (init.headers as Record<string, string>)['content-type'] ??= 'application/octet-stream';
        } else {
          init.body = typeof body === 'string' ? body : JSON.stringify(body);
          (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
        }
      }
      const res = await fetch(url + path, init);
      const text = await res.text();
      let json: Json;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      return { status: res.status, json };
    },
    async close() {
      await app.close();
      if (!opts.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
