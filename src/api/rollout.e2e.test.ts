import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { churnRows } from '../examples/index.js';
import { freePort, spawnServer } from '../test-support/server-process.js';
import { startTestServer } from '../test-support/test-server.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** An analysis that needs little traffic, so a test can walk real steps in seconds. */
const QUICK_ANALYSIS = [{ metric: 'error_rate', critical: true, judge: { judge: 'threshold', statistic: 'rate', max: 0.05, minSamples: 10 } }];

async function post(url: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url + path, { method: 'POST', ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('rollouts over HTTP', () => {
  it('starts from YAML, reports, obeys commands and refuses what it cannot do', async () => {
    const s = await startTestServer();
    try {
      const yaml = 'canary: 2\nsteps: [10, {pause: true}, 50]\ninterval: 1h\n';
      const res = await fetch(`${s.url}/v1/models/churn/rollout`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml });
      const started = (await res.json()) as Record<string, unknown>;
      assert.equal(res.status, 201, JSON.stringify(started));
      assert.equal(started.phase, 'progressing');
      assert.equal(started.weight, 10);
      assert.equal((await s.request('GET', '/v1/models/churn')).json.canary_weight, 10);
      assert.equal((await s.request('POST', '/v1/models/churn/rollout', { canary: 2 })).json.error.code, 'conflict');

      const gate = await s.request('POST', '/v1/models/churn/rollout/promote');
      assert.equal(gate.json.phase, 'paused');
      assert.match(gate.json.reason, /manual gate at step 2/);
      const past = await s.request('POST', '/v1/models/churn/rollout/resume');
      assert.equal(past.json.step, 3);
      assert.equal(past.json.weight, 50);
      const bad = await s.request('POST', '/v1/models/churn/rollout/resume');
      assert.equal(bad.status, 409);
      assert.match(bad.json.error.message, /cannot resume a rollout that is progressing/);
      const aborted = await s.request('POST', '/v1/models/churn/rollout/abort', { reason: 'checking the report' });
      assert.equal(aborted.json.phase, 'rolled_back');
      assert.equal((await s.request('GET', '/v1/models/churn')).json.canary_version, null);

      const history = (await s.request('GET', '/v1/models/churn/rollout/history')).json;
      assert.deepEqual(history.decisions.map((d: { action: string }) => d.action), ['start', 'advance', 'advance', 'rollback']);
      const md = await fetch(`${s.url}/v1/models/churn/rollout/report?format=markdown`);
      assert.match(md.headers.get('content-type') ?? '', /text\/markdown/);
      const text = await md.text();
      assert.match(text, /^# Rollout of churn v2 \(stable v1\)/);
      assert.match(text, /\*\*Outcome:\*\* aborted by user: checking the report/);
      assert.match(text, /\| step \| weight \| result \| analyses \|/);
      assert.match(text, /\| 3 \| 50% \| stopped here \| 0 \|/);
      const json = (await s.request('GET', '/v1/models/churn/rollout/report')).json;
      assert.equal(json.phase, 'rolled_back');
      assert.equal(json.timeline.length, 4);

      const retried = await s.request('POST', '/v1/models/churn/rollout/retry');
      assert.equal(retried.json.attempt, 2);
      const full = await s.request('POST', '/v1/models/churn/rollout/promote', { full: true });
      assert.equal(full.json.phase, 'succeeded');
      assert.equal((await s.request('GET', '/v1/models/churn')).json.stable_version, 2);
      assert.equal((await s.request('GET', '/v1/models/churn/rollouts')).json.rollouts.length, 1);

      for (const [body, code] of [[{ steps: [5] }, 'invalid_request'], [{ canary: 2 }, 'conflict'], [{ canary: 7 }, 'version_not_found'], [{ canary: 2, steps: [10, 5] }, 'invalid_request']] as const) {
        assert.equal((await s.request('POST', '/v1/models/churn/rollout', body)).json.error.code, code, JSON.stringify(body));
      }
      assert.equal((await s.request('GET', '/v1/models/nope/rollout')).status, 404);
      assert.equal((await s.request('POST', '/v1/models/churn/rollout/dance')).status, 400);
      const text2 = await s.request('GET', '/metrics');
      assert.match(text2.json, /coalmine_rollout_phase\{model="churn",phase="succeeded"\} 1/);
    } finally {
      await s.close();
    }
  });
});

describe('a rollout survives SIGKILL', () => {
  it('resumes in the same phase and step with every decision kept, and finishes', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coalmine-kill-'));
    dirs.push(dataDir);
    const port = await freePort();
    let server = await spawnServer(dataDir, port, ['--examples']);
    const rows = churnRows(2000, 42);
    let sending = true;
    let i = 0;
    const sender = async () => {
      while (sending) {
        const r = rows[i++ % rows.length]!;
        await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ features: r.features, label: r.label }) }).catch(() => undefined);
      }
    };
    const senders = Array.from({ length: 6 }, sender);
    try {
      const started = await post(server.url, '/v1/models/churn/rollout', { canary: 2, steps: [10, 25, 40, 60, 80], interval: '300ms', bake: '600ms', minSamples: 5, analysis: QUICK_ANALYSIS });
      assert.equal(started.status, 201, JSON.stringify(started.json));
      let before: { phase: string; step: number; history: { seq: number; action: string }[] } | undefined;
      for (let t = 0; t < 200; t++) {
        const r = (await (await fetch(`${server.url}/v1/models/churn/rollout`)).json()) as { step: number; phase: string };
        if (r.step >= 3 || r.phase !== 'progressing') {
          const h = (await (await fetch(`${server.url}/v1/models/churn/rollout/history`)).json()) as { decisions: { seq: number; action: string }[] };
          before = { phase: r.phase, step: r.step, history: h.decisions };
          break;
        }
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.ok(before, 'the rollout reached step 3 under traffic');
      await server.kill('SIGKILL');
      server = await spawnServer(dataDir, port);
      const h = (await (await fetch(`${server.url}/v1/models/churn/rollout/history`)).json()) as { decisions: { seq: number; action: string; step: number; weight: number }[] };
      assert.deepEqual(h.decisions.slice(0, before.history.length), before.history, 'no acknowledged decision was lost or rewritten');
      assert.deepEqual(h.decisions.map((d) => d.seq), h.decisions.map((_, k) => k + 1), 'no decision duplicated');
      const r = (await (await fetch(`${server.url}/v1/models/churn/rollout`)).json()) as { phase: string; step: number; weight: number };
      assert.ok(r.step >= before.step, 'the rollout did not go backwards');
      await new Promise((res) => setTimeout(res, 1500));
      // The rollout keeps advancing meanwhile: compare routing with a rollout state read on both
      // sides of it, so a step taken between the two reads is not mistaken for a mismatch.
      for (let attempt = 0; ; attempt++) {
        const before = (await (await fetch(`${server.url}/v1/models/churn/rollout`)).json()) as { phase: string; weight: number; step: number };
        const routing = (await (await fetch(`${server.url}/v1/models/churn`)).json()) as { canary_weight: number };
        const after = (await (await fetch(`${server.url}/v1/models/churn/rollout`)).json()) as { phase: string; weight: number; step: number };
        if (before.step !== after.step || before.phase !== after.phase) {
          assert.ok(attempt < 20, 'the rollout settled long enough to compare');
          continue;
        }
        if (after.phase === 'progressing' || after.phase === 'paused') assert.equal(routing.canary_weight, after.weight, 'routing matches the step after restart');
        break;
      }
      for (let t = 0; t < 150; t++) {
        const x = (await (await fetch(`${server.url}/v1/models/churn/rollout`)).json()) as { phase: string };
        if (x.phase === 'succeeded') break;
        await new Promise((res) => setTimeout(res, 100));
      }
      const done = (await (await fetch(`${server.url}/v1/models/churn/rollout`)).json()) as { phase: string };
      assert.equal(done.phase, 'succeeded');
      assert.equal(((await (await fetch(`${server.url}/v1/models/churn`)).json()) as { stable_version: number }).stable_version, 2);
    } finally {
      sending = false;
      await Promise.all(senders);
      await server.kill('SIGTERM');
    }
  });
});
