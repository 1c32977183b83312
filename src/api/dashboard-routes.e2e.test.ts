import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from '../../scripts/build-dashboard.mjs';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

describe('the dashboard files', () => {
  let s: TestServer;
  let dir: string;
  before(async () => {
    dir = await build(mkdtempSync(join(tmpdir(), 'coalmine-dash-')));
    s = await startTestServer({ overrides: { dashboardDir: dir } });
  });
  after(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serve the page, its icon, and /favicon.ico that browsers ask for anyway', async () => {
    const page = await fetch(`${s.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<link rel="icon" href="\/favicon.svg"/);
    for (const path of ['/favicon.svg', '/favicon.ico']) {
      const icon = await fetch(s.url + path);
      assert.equal(icon.status, 200, path);
      assert.match(icon.headers.get('content-type') ?? '', /image\/svg\+xml/, path);
      assert.match(await icon.text(), /^<svg /, path);
    }
  });
});
