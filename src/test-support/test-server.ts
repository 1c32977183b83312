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

/**
 * Tests fire thousands of requests with one Promise.all; fetch would open a socket for each and
 * overflow the listen backlog (ECONNRESET on a loaded machine). A bounded number in flight is
 * still concurrent load, and is what a real client pool does.
 */
const MAX_IN_FLIGHT = 64;

function limiter(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
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
  const limit = limiter(MAX_IN_FLIGHT);
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
      const { status, text } = await limit(async () => {
        const res = await fetch(url + path, init);
        return { status: res.status, text: await res.text() };
      });
      let json: Json;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      return { status, json };
    },
    async close() {
      await app.close();
      if (!opts.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
