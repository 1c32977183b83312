// Renders docs/dashboard.png, the README's picture of the dashboard: a real server with labelled
// traffic and a progressive rollout in progress, photographed in Debian's Chromium.
// Usage: npm run screenshot [-- <seconds of traffic, default 75>]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { churnRows } from '../src/examples/index.js';
import { startTestServer } from '../src/test-support/test-server.js';
import { build } from './build-dashboard.mjs';

const seconds = Number(process.argv[2] ?? 75);
const dashboardDir = await build(mkdtempSync(join(tmpdir(), 'coalmine-dashboard-')));
const server = await startTestServer({ overrides: { dashboardDir } });
try {
  await server.request('POST', '/v1/models/churn/rollout', { canary: 2, steps: [10, 25, 50], interval: '10s', bake: '25s', minSamples: 200 });
  const rows = churnRows(20_000, 5);
  const until = Date.now() + seconds * 1000;
  for (let i = 0; Date.now() < until; i++) {
    const r = rows[i % rows.length]!;
    await server.request('POST', '/v1/models/churn/predict', { features: r.features, label: r.label, key: `user-${i}` });
    await new Promise((res) => setTimeout(res, 3));
  }
  const browser = await chromium.launch({ executablePath: process.env.COALMINE_CHROMIUM ?? '/usr/bin/chromium', args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
  await page.goto(server.url + '/');
  await page.locator('figure.chart[data-kind=accuracy] canvas').waitFor();
  await page.waitForTimeout(1500);
  const out = resolve('docs/dashboard.png');
  await page.screenshot({ path: out, fullPage: true });
  await browser.close();
  console.log(`wrote ${out}`);
} finally {
  await server.close();
  rmSync(dashboardDir, { recursive: true, force: true });
}
