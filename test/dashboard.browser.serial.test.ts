import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from '../scripts/build-dashboard.mjs';
import { churnRows } from '../src/examples/index.js';
import { startTestServer, type TestServer } from '../src/test-support/test-server.js';

const CHROMIUM = process.env.COALMINE_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
/** The flags that keep Chromium off the network (this machine has none, and tests must not need it). */
const CHROMIUM_ARGS = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const missing = !existsSync(CHROMIUM);
if (missing && (process.env.CI || process.env.COALMINE_REQUIRE_CHROMIUM)) throw new Error(`Chromium is required in CI for the dashboard tests and was not found at ${CHROMIUM}; .ci/run installs it (apt-get install -y chromium)`);
if (missing) console.warn(`\n*** SKIPPING the dashboard browser tests: no Chromium at ${CHROMIUM}. Install it with: apt-get install -y chromium ***\n`);

/** Polls `read` until `ok` holds (at most 10 s); returns the value that satisfied it. */
async function until(read: () => Promise<number>, ok: (n: number) => boolean, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await read();
    if (ok(n)) return n;
    if (Date.now() > deadline) throw new Error(`still ${n} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('dashboard in a real browser', { skip: missing ? `no Chromium at ${CHROMIUM} (apt-get install -y chromium)` : false }, () => {
  let server: TestServer;
  let browser: Browser;
  let dashboardDir: string;
  let traffic: Promise<void> | undefined;
  let sending = true;

  before(async () => {
    dashboardDir = await build(mkdtempSync(join(tmpdir(), 'coalmine-dashboard-')));
    server = await startTestServer({ overrides: { dashboardDir, streamTickMs: 250 } });
    // Real traffic with labels, so every chart (accuracy included) has data; stopped in after().
    const rows = churnRows(5000, 11);
    traffic = (async () => {
      for (let i = 0; sending; i++) {
        const r = rows[i % rows.length]!;
        await server.request('POST', '/v1/models/churn/predict', { features: r.features, label: r.label, key: `user-${i}` });
        await new Promise((res) => setTimeout(res, 4));
      }
    })();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    sending = false;
    await traffic;
    await browser?.close();
    await server?.close();
    rmSync(dashboardDir, { recursive: true, force: true });
  });

  /** A page that fails the test on script errors and on any request that leaves this machine. */
  async function open(width: number, height: number): Promise<{ page: Page; problems: string[]; apiCalls: string[] }> {
    const page = await browser.newPage({ viewport: { width, height } });
    const problems: string[] = [];
    const apiCalls: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname !== '127.0.0.1') {
        problems.push(`request off the machine: ${url.href}`);
        return route.abort();
      }
      if (url.pathname.startsWith('/v1/')) apiCalls.push(`${route.request().method()} ${url.pathname}`);
      return route.continue();
    });
    await page.goto(server.url + '/');
    return { page, problems, apiCalls };
  }

  it('shows variants, live charts, verdicts and steers a rollout', async () => {
    const start = await server.request('POST', '/v1/models/churn/rollout', { canary: 2, steps: [{ weight: 20, bake: '10m' }, 50], interval: '2s' });
    assert.equal(start.status, 201, JSON.stringify(start.json));
    const { page, problems, apiCalls } = await open(1400, 1000);

    await page.getByRole('button', { name: /churn/ }).waitFor();
    await page.locator('[data-testid=connection]', { hasText: 'live' }).waitFor();
    assert.match(await page.locator('[data-testid=stable]').innerText(), /stable\s+v1/);
    assert.match(await page.locator('[data-testid=canary]').innerText(), /canary\s+v2/);
    assert.equal(await page.locator('[data-testid=phase]').innerText(), 'PROGRESSING');
    assert.deepEqual(await page.locator('ol.steps li .weight').allInnerTexts(), ['20%', '50%', '100%'], 'a step bar: both steps, then the promotion');
    await page.locator('[data-testid=next-decision]').waitFor();

    // The charts follow the traffic without a reload: the requests they hold keep growing.
    const rps = page.locator('figure.chart[data-kind=rps]');
    const held = async () => Number(await rps.getAttribute('data-requests'));
    const first = await until(held, (n) => n > 0);
    await until(held, (n) => n > first);
    assert.ok((await page.locator('figure.chart canvas').count()) >= 4, 'four charts are drawn (accuracy included, labels flow)');
    assert.match(await page.locator('[data-testid=observed-share]').innerText(), /%$/);

    // The controller's analyses arrive as decisions with verdicts in plain words.
    await page.locator('.verdict .words', { hasText: /n = [\d,]+ canary \/ [\d,]+ stable → (pass|fail|inconclusive)/ }).first().waitFor({ timeout: 10_000 });
    await page.locator('.timeline .event-hold').first().waitFor({ timeout: 10_000 });

    // Steady state pushes everything over the one stream: no polling.
    const settled = apiCalls.length;
    await page.waitForTimeout(3000);
    const extra = apiCalls.slice(settled).filter((c) => !c.endsWith('/v1/stream'));
    assert.ok(extra.length <= 1, `the page polled: ${extra.join(', ')}`);

    await page.locator('button[data-command=pause]').click();
    await page.locator('[data-testid=phase]', { hasText: 'paused' }).waitFor();
    assert.equal((await server.request('GET', '/v1/models/churn/rollout')).json.phase, 'paused', 'the button went through the API');
    await page.locator('.timeline .event-pause', { hasText: 'from the dashboard' }).waitFor();

    // A fault injected elsewhere (CLI, API) shows as a banner at once.
    await server.request('POST', '/v1/models/churn/faults', { variant: 'canary', wrong: 0.4 });
    await page.locator('[data-testid=fault-banner]', { hasText: 'canary: 40% wrong answers' }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    await server.request('POST', '/v1/models/churn/faults', { clear: true });
    await page.locator('[data-testid=fault-banner]').waitFor({ state: 'detached' });

    await page.locator('button[data-command=resume]').click();
    await page.locator('[data-testid=phase]', { hasText: 'progressing' }).waitFor();

    // Abort asks for a second click before it rolls back.
    await page.locator('button[data-command=abort]').click();
    assert.equal(await page.locator('button[data-command=abort]').innerText(), 'Confirm: abort');
    assert.equal((await server.request('GET', '/v1/models/churn/rollout')).json.phase, 'progressing');
    await page.locator('button[data-command=abort]').click();
    await page.locator('[data-testid=phase]', { hasText: 'rolled back' }).waitFor();
    await page.locator('[data-testid=canary]', { hasText: 'none' }).waitFor();

    // The registry view lists both versions with their training accuracy.
    const registry = await page.locator('section.registry').innerText();
    assert.match(registry, /v2[\s\S]*accuracy\s+94\.1%/);
    assert.match(registry, /v1[\s\S]*accuracy\s+89\.3%/);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('shows a running shadow beside the traffic: agreement, paired accuracy and its checks, then its end', async () => {
    const started = await server.request('POST', '/v1/models/churn/shadow', { version: 2, policy: { minCompared: 20, minLabelled: 10 } });
    assert.equal(started.status, 201, JSON.stringify(started.json));
    const { page, problems } = await open(1400, 1000);
    const panel = page.locator('[data-testid=shadow-panel]');
    await panel.waitFor();
    assert.match(await panel.locator('h2').innerText(), /Shadow v2/);
    assert.equal(await page.locator('[data-testid=shadow-state]').innerText(), 'RUNNING');
    // The live traffic carries labels, so both answers of a row are scored against the same truth.
    await page.locator('[data-testid=shadow-agreement]', { hasText: /\d+(\.\d)?% \(/ }).waitFor({ timeout: 15_000 });
    await page.locator('[data-testid=shadow-accuracy]', { hasText: /primary [\d.]+% · shadow [\d.]+% on [\d,]+ labelled/ }).waitFor({ timeout: 15_000 });
    assert.equal(await panel.locator('.shadow-checks li').count(), 4, 'errors, agreement, latency and accuracy');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-shadow.png'), fullPage: true });
    assert.equal((await server.request('DELETE', '/v1/models/churn/shadow')).status, 200);
    await page.locator('[data-testid=shadow-state]', { hasText: 'stopped' }).waitFor({ timeout: 10_000 });
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('fits a phone screen', async () => {
    const { page, problems } = await open(390, 844);
    await page.locator('[data-testid=stable]').waitFor();
    await page.locator('figure.chart[data-kind=rps] canvas').waitFor();
    // A string is evaluated in the page (this file is type-checked for Node, not the DOM).
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    const chart = await page.locator('figure.chart[data-kind=rps]').boundingBox();
    assert.ok(chart && chart.width > 300 && chart.width <= 390, `charts take the screen width (${chart?.width}px)`);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('asks for the admin token when the server wants it, then reads and steers with it', async () => {
    const token = 'browser-test-token-0123456789abcdef';
    const guarded = await startTestServer({ overrides: { dashboardDir, streamTickMs: 250, adminToken: token, protectReads: true } });
    const auth = { authorization: `Bearer ${token}` };
    try {
      assert.equal((await guarded.request('POST', '/v1/models/churn/rollout', { canary: 2, steps: [10, 50], interval: '1h' }, auth)).status, 201);
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(guarded.url + '/');
      await page.getByText('needs the admin token even to read').waitFor();
      await page.locator('form.token input').fill(token);
      await page.locator('form.token button[type=submit]').click();
      await page.locator('[data-testid=connection]', { hasText: 'live' }).waitFor();
      await page.locator('[data-testid=phase]', { hasText: 'progressing' }).waitFor();
      await page.locator('button[data-command=pause]').click();
      await page.locator('[data-testid=phase]', { hasText: 'paused' }).waitFor();
      assert.equal((await guarded.request('GET', '/v1/models/churn/rollout', undefined, auth)).json.phase, 'paused');
      await page.close();
    } finally {
      await guarded.close();
    }
  });
});
