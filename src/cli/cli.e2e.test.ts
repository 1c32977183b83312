import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { linearRegressor, paddedRegressor } from '../test-support/onnx-fixtures.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { startMlflowServer, startOpenInferenceServer } from '../test-support/model-servers/index.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

let s: TestServer;
let dir: string;
before(async () => {
  // The latency limit (100 ms p95 by default) is lifted: on a starved CI machine every request can
  // take that long, and the demo's healthy canary would be rolled back for the machine's sake. The
  // stories told here are about accuracy; latency judging has tests of its own.
  s = await startTestServer({ examples: false, overrides: { latencyThresholdMs: 60_000 } });
  dir = mkdtempSync(join(tmpdir(), 'coalmine-cli-'));
});
after(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', MAIN, '--url', s.url, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('coalmine CLI against a real server', () => {
  it('creates the example model and shows its status', async () => {
    const created = await cli('models', 'example');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /created model churn: v1 stable, v2 canary at 20%/);
    const again = await cli('models', 'example');
    assert.match(again.stdout, /exists already/);
    const status = await cli('status');
    assert.equal(status.code, 0);
    assert.match(status.stdout, /stable\s+│ v1\s+│ 80%/);
    assert.match(status.stdout, /canary\s+│ v2\s+│ 20%/);
    assert.match(status.stdout, /deployed v2 as canary at 20%/);
  });

  it('moves the split, sends labelled traffic and counts it per variant', async () => {
    assert.match((await cli('canary', '35')).stdout, /now gets 35% of traffic/);
    const sent = await cli('--json', 'send', '300', '--concurrency', '16');
    assert.equal(sent.code, 0, sent.stderr);
    const summary = JSON.parse(sent.stdout) as { sent: number; failed: number; canary_weight: number; variants: Record<string, { requests: number; accuracy: number }> };
    assert.equal(summary.sent, 300);
    assert.equal(summary.failed, 0);
    assert.equal(summary.canary_weight, 35);
    assert.equal(summary.variants.stable!.requests + summary.variants.canary!.requests, 300);
    assert.ok(summary.variants.canary!.requests > 60 && summary.variants.canary!.requests < 150);
    assert.ok(summary.variants.stable!.accuracy > 0.8);
    const table = await cli('send', '20', '--keys', '5');
    assert.match(table.stdout, /sent 20, failed 0/);
  });

  it('registers a model server with --upstream, and says why one cannot be', async () => {
    const oip = await startOpenInferenceServer({ name: 'churn', inputs: [{ name: 'input', width: 3 }], weights: [1, 1, 1], bias: 0 });
    const mlflow = await startMlflowServer({ name: 'churn', inputs: [{ name: 'input', width: 3 }], weights: [1, 1, 1], bias: 0 });
    try {
      const added = await cli('models', 'add', 'gwcli', '--upstream', `${oip.url}/v2/models/churn`, '--description', 'triton');
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stdout, new RegExp(`registered gwcli v1 served by ${oip.url}/v2/models/churn \\(open-inference\\): binary_classifier, inputs input float32\\[N, 3\\]; it is stable`));
      const ml = await cli('models', 'add', 'gwcli', '--upstream', mlflow.url, '--features', '3');
      assert.equal(ml.code, 0, ml.stderr);
      assert.match(ml.stdout, /registered gwcli v2 served by .* \(mlflow\): binary_classifier, inputs input float64\[N, 3\]/);
      const shown = await cli('models', 'show', 'gwcli');
      assert.match(shown.stdout, /open-inference http:\/\/127\.0\.0\.1:\d+\/v2\/models\/churn/);
      const both = await cli('models', 'add', 'gwcli', 'x.onnx', '--upstream', mlflow.url);
      assert.notEqual(both.code, 0);
      assert.match(both.stderr, /an ONNX file or --upstream URL, not both/);
      const down = await cli('models', 'add', 'gwcli', '--upstream', 'http://127.0.0.1:9/v2/models/churn');
      assert.notEqual(down.code, 0);
      assert.match(down.stderr, /not ready to serve: GET http:\/\/127\.0\.0\.1:9\/v2\/health\/ready: connection refused/);
    } finally {
      await Promise.all([oip.close(), mlflow.close()]);
    }
  });

  it('registers a file, deploys, rolls back, resets and promotes', async () => {
    const file = join(dir, 'reg.onnx');
    writeFileSync(file, linearRegressor());
    const added = await cli('--model', 'reg', 'models', 'add', 'reg', file, '--description', 'a regressor', '--metric', 'mae=0.4');
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /registered reg v1: regressor, inputs features float32\[N, 2\]; it is stable/);
    const second = join(dir, 'reg-2.onnx');
    writeFileSync(second, paddedRegressor(4));
    const again = await cli('models', 'add', 'reg', file);
    assert.notEqual(again.code, 0, 'the same file twice is refused');
    assert.match(again.stderr, /already version 1 of "reg"/);
    await cli('models', 'add', 'reg', second);
    assert.match((await cli('--model', 'reg', 'deploy', '2', '--weight', '5')).stdout, /deployed v2 of reg as canary at 5%/);
    assert.match((await cli('--model', 'reg', 'rollback', '--reason', 'testing')).stdout, /rolled back canary v2/);
    assert.match((await cli('--model', 'reg', 'reset')).stdout, /canary v2 at 20%/);
    assert.match((await cli('--model', 'reg', 'promote')).stdout, /promoted v2 of reg to stable \(previous stable v1\)/);
    const list = await cli('--json', 'models', 'list');
    assert.deepEqual((JSON.parse(list.stdout) as { name: string }[]).map((m) => m.name), ['churn', 'gwcli', 'reg']);
  });

  it('explains errors and exits non-zero', async () => {
    const pct = await cli('canary', 'lots');
    assert.equal(pct.code, 1);
    assert.match(pct.stderr, /"lots" is not a percentage/);
    const version = await cli('deploy', '9');
    assert.equal(version.code, 1);
    assert.match(version.stderr, /has no version 9 \(versions: 1, 2\) \[version_not_found\]/);
    const down = await run(process.execPath, ['--import', 'tsx', MAIN, '--url', 'http://127.0.0.1:9', 'status']).catch((e: { code: number; stderr: string }) => e);
    assert.equal((down as { code: number }).code, 3);
    assert.match((down as { stderr: string }).stderr, /cannot reach coalmine/);
  });
});

describe('coalmine CLI: telemetry, faults, the lab and the demo', () => {
  it("prints the lab's metrics table and shows injected faults", async () => {
    await cli('reset');
    await cli('send', '100');
    const m = await cli('metrics');
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /stable\s+│ v1\s+│ \d+\s+│ [\d.]+%\s+│ 80%/);
    assert.match(m.stdout, /canary\s+│ v2/);
    const f = await cli('fault', 'canary', '--wrong', '40%', '--delay', '5-10ms', '--errors', '0.01');
    assert.match(f.stdout, /fault injection is ON — canary: 40% wrong answers, \+5-10ms latency, 1% errors/);
    assert.match((await cli('status')).stdout, /fault injection is ON/);
    assert.match((await cli('fault', '--clear')).stdout, /no faults injected/);
    const bad = await cli('fault', 'canary', '--delay', 'soon');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /must look like 20ms or 10-30ms/);
  });

  it("runs the lab's failure simulation and rollback check", async () => {
    await cli('reset');
    assert.match((await cli('fail')).stdout, /wrong 40% of the time/);
    await cli('send', '300');
    const check = await cli('check-rollback');
    assert.match(check.stdout, /🚨 ROLLBACK \(accuracy\)/);
    assert.match(check.stdout, /canary traffic is now 0%/);
    await cli('reset');
    const healthy = await cli('rollback', '--check');
    assert.match(healthy.stdout, /✔/);
  });

  it('tells the demo story against a running server', async () => {
    const r = await cli('--json', 'demo', '--requests', '400');
    assert.equal(r.code, 0, r.stderr);
    const results = JSON.parse(r.stdout) as { workflow: string; outcome: string; steps: number }[];
    assert.deepEqual(results.map((x) => [x.workflow, x.outcome]), [['deploy', 'rolled back'], ['promote', 'promoted']]);
    assert.equal(results[0]!.steps, 1, 'a canary answering wrong 40% of the time is caught at the first step');
  });
});

describe('coalmine demo without --url', () => {
  it('starts its own server and shows a degrading canary rolled back with the reason', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', MAIN, 'demo', '--workflow', 'deploy'], { env: { ...process.env, NO_COLOR: '1' } });
    assert.match(stdout, /a server with the example model "churn" is running/);
    // The rollback must be for accuracy. Which accuracy judge decides first (the sequential
    // difference or the minimum) and whether the demo's 100 ms p95 limit trips too depend on how
    // many samples a loaded machine delivers before the first judgement.
    assert.match(stdout, /✖ accuracy(_min)?: canary accuracy is [\d.]+/);
    assert.match(stdout, /🚨 Rolled back at step 1: rolled back at step 1 \(20%\): [^\n]*\((?:[a-z_0-9]+, )*accuracy(?:_min)?[,)]/);
    assert.match(stdout, /degraded canary │ rolled back/);
  });
});

describe('coalmine rollout', () => {
  it('starts, shows, steers and reports a rollout', async () => {
    // The demo above promoted v2; put v1 back as stable.
    await cli('deploy', '1', '--weight', '0');
    await cli('promote');
    const started = await cli('rollout', 'start', '2', '--steps', '10,40,70', '--interval', '1h');
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /rollout of churn v2 \(stable v1\) — PROGRESSING/);
    assert.match(started.stdout, /\[▶ 10%\]─\[ {2}40%\]─\[ {2}70%\]/);
    assert.match((await cli('rollout', 'pause')).stdout, /PAUSED/);
    assert.match((await cli('rollout', 'resume')).stdout, /PROGRESSING/);
    assert.match((await cli('rollout', 'promote')).stdout, /\[■ 10%\]─\[▶ 40%\]/);
    const status = await cli('rollout', 'status');
    assert.match(status.stdout, /step 2\/3: canary 40%, stable 60%; next analysis in \d+s/);
    const aborted = await cli('rollout', 'abort', '--reason', 'cli test');
    assert.match(aborted.stdout, /ROLLED_BACK/);
    const history = await cli('rollout', 'history');
    assert.match(history.stdout, /start\s+user/);
    assert.match(history.stdout, /rollback\s+user\s+aborted by user: cli test/);
    const report = await cli('rollout', 'report');
    assert.match(report.stdout, /^# Rollout of churn v2/m);
    const watch = await cli('rollout', 'status', '--watch');
    assert.equal(watch.code, 0, 'watch returns once the rollout has ended');
    const again = await cli('rollout', 'start', '2', '--steps', 'ten');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /--steps "ten" must be weights/);
  });
});
