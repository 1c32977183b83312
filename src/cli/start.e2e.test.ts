import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test-support/server-process.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function until(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    assert.ok(Date.now() < deadline, `timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const answers = (url: string) => fetch(`${url}/healthz`).then((r) => r.ok, () => false);

describe('coalmine start (what npm start runs)', () => {
  it('stops when the process that started it is killed, instead of holding the port with no parent', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coalmine-start-'));
    dirs.push(dataDir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // A shell in the place of npm; "; true" keeps it from exec'ing node in its own place.
    const parent = spawn('sh', ['-c', `"${process.execPath}" --import tsx "${MAIN}" start --no-demo --data-dir "${dataDir}" --port ${port}; true`], { stdio: 'ignore', env: { ...process.env, COALMINE_LOG_LEVEL: 'warn' } });
    try {
      await until('the server answers', () => answers(url));
      parent.kill('SIGKILL');
      await until('the orphaned server shuts down', async () => !(await answers(url)));
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
