import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestServer, type TestServer } from './test-support/test-server.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./cli/main.ts', import.meta.url));
const README = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');

/** The `npx coalmine …` commands of the first ```sh block after `marker`, as argument lists. */
function commandsAfter(marker: string): string[][] {
  const at = README.indexOf(marker);
  assert.ok(at >= 0, `README.md has "${marker}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(README.slice(at))![1]!;
  return block
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean)
    .flatMap((l) => l.split('&&').map((c) => c.trim()))
    .map((c) => {
      assert.match(c, /^npx coalmine /, `README command "${c}" is a coalmine command`);
      return c.replace(/^npx coalmine /, '').split(/\s+/);
    });
}

describe("the README's command sequences work as printed", () => {
  let s: TestServer;
  before(async () => {
    // Where `npm start` leaves the example: v1 stable, v2 a 20% canary.
    s = await startTestServer({ overrides: { latencyThresholdMs: 60_000 } });
  });
  after(() => s.close());

  async function cli(args: string[]): Promise<{ code: number; out: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', MAIN, '--url', s.url, ...args], { env: { ...process.env, NO_COLOR: '1' } });
      return { code: 0, out: stdout + stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, out: e.stdout + e.stderr };
    }
  }

  it('"Using it", then "Progressive rollouts"', async () => {
    const using = commandsAfter('The CLI talks to the server');
    const rollouts = commandsAfter('Instead of moving the weight by hand');
    assert.ok(using.length >= 10 && rollouts.length >= 3, 'both sequences were found');
    const outputs = new Map<string, string>();
    for (const args of [...using, ...rollouts]) {
      // `demo` starts a throwaway server of its own (tested in cli.e2e.test.ts); `--watch` follows
      // the rollout until it ends, which without traffic it does not.
      if (args[0] === 'demo') continue;
      const r = await cli(args.filter((a) => a !== '--watch'));
      assert.equal(r.code, 0, `coalmine ${args.join(' ')} failed:\n${r.out}`);
      outputs.set(args.join(' '), r.out);
    }
    assert.match(outputs.get('check-rollback')!, /ROLLBACK \(accuracy/, 'the faulty canary is caught');
    assert.match(outputs.get('rollout start 2 --steps 5,20,50,100 --interval 30s')!, /v2/);
    const rollout = (await s.request('GET', '/v1/models/churn/rollout')).json;
    assert.equal(rollout.phase, 'progressing');
    assert.equal(rollout.stable_version, 1);
  });

  it('"Shadow mode", from where the rollout stands', async () => {
    const shadow = commandsAfter('A shadow scores a copy of live traffic');
    assert.ok(shadow.length >= 5, 'the sequence was found');
    const outputs = new Map<string, string>();
    for (const args of shadow) {
      if (args[0] === 'shadow' && args[1] === 'promote') await s.app.flush();
      const r = await cli(args);
      assert.equal(r.code, 0, `coalmine ${args.join(' ')} failed:\n${r.out}`);
      outputs.set(args.join(' '), r.out);
    }
    assert.match(outputs.get('shadow status')!, /shadow of churn: v2 beside stable v1, 100% of traffic — RUNNING/);
    assert.match(outputs.get('shadow status')!, /accuracy on \d+ labelled: primary [\d.]+%, shadow [\d.]+%/);
    // v2 agrees with v1 and is more accurate; on a busy machine some checks may still wait for data
    // (a saturated server sheds shadow work), but nothing fails.
    assert.match(outputs.get('shadow status')!, /verdict: (PASS|INCONCLUSIVE)/);
    assert.doesNotMatch(outputs.get('shadow status')!, /✖/);
    const rollout = (await s.request('GET', '/v1/models/churn/rollout')).json;
    assert.equal(rollout.canary_version, 2, 'the promoted shadow is the canary of a new rollout');
    assert.equal((await s.request('GET', '/v1/models/churn')).json.shadow, null);
  });
});
