import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isAppError } from '../domain/index.js';
import { MAX_STEPS, MAX_WEBHOOKS, parseRolloutSpec } from './rollout-spec.js';

function refused(input: unknown, pattern: RegExp): void {
  assert.throws(
    () => parseRolloutSpec(input),
    (err: unknown) => isAppError(err) && err.status === 400 && err.code === 'invalid_request' && pattern.test(err.message),
    `expected a 400 matching ${pattern} for ${JSON.stringify(input)}`,
  );
}

const judge = (config: object, metric = 'latency') => ({ canary: 2, analysis: [{ metric, judge: config }] });

describe('rollout spec: initial/increment/max shorthand', () => {
  it('counts the steps before expanding them, so a tiny increment is refused instead of crashing the process', () => {
    refused({ canary: 2, initial: 5, increment: 1e-20, max: 100 }, /increment must be a percentage from 0\.01 to 100/);
    refused({ canary: 2, initial: 5, increment: 0.01, max: 100 }, /makes 9501 steps from 5% to 100%, more than 100/);
    refused('canary: 2\ninitial: 5\nincrement: 1e-20\nmax: 100\n', /increment/);
  });

  it('expands in basis points: 0.5% steps up to exactly the cap', () => {
    const spec = parseRolloutSpec({ canary: 2, initial: 50.5, increment: 0.5, max: 100 });
    assert.equal(spec.steps.length, MAX_STEPS);
    assert.equal(spec.steps[0]!.weightBp, 5050);
    assert.equal(spec.steps[1]!.weightBp, 5100);
    assert.equal(spec.steps.at(-1)!.weightBp, 10_000);
    refused({ canary: 2, initial: 50, increment: 0.5, max: 100 }, /makes 101 steps/);
  });

  it('keeps the defaults of the controller sketch: 5% then +10% up to 100%', () => {
    assert.deepEqual(parseRolloutSpec({ canary: 2 }).steps.map((s) => s.weightBp / 100), [5, 15, 25, 35, 45, 55, 65, 75, 85, 95, 100]);
  });

  it('refuses non-numbers, weights finer than 0.01% and a shorthand mixed with a step list', () => {
    refused({ canary: 2, initial: '5' }, /initial must be a percentage/);
    refused({ canary: 2, increment: 0.015 }, /finer than 0\.01%/);
    refused({ canary: 2, initial: 1e-300 }, /finer than 0\.01%/);
    refused({ canary: 2, steps: [5, 50], increment: 5 }, /steps and increment cannot both be given/);
  });

  it('names a bad step weight once', () => {
    assert.throws(() => parseRolloutSpec({ canary: 2, steps: [5, 150] }), (err: Error) => /^rollout spec: steps\[1\]\.weight must be between 0 and 100 percent, got 150$/.test(err.message));
  });
});

describe('rollout spec: durations and webhooks are bounded', () => {
  it('refuses durations that would overflow a date', () => {
    refused({ canary: 2, interval: 1e300 }, /interval must be at most 1d/);
    refused({ canary: 2, bake: '99999999d' }, /bake must be at most 30d/);
    refused({ canary: 2, maxDuration: '400d' }, /maxDuration must be at most 365d/);
    refused({ canary: 2, steps: [{ weight: 5, bake: '31d' }] }, /steps\[0\]\.bake must be at most 30d/);
  });

  it(`takes at most ${MAX_WEBHOOKS} valid http(s) URLs`, () => {
    const many = Array.from({ length: MAX_WEBHOOKS + 1 }, (_, i) => `http://127.0.0.1:9/${i}`);
    refused({ canary: 2, webhooks: many }, /at most 10 http\(s\) URLs/);
    refused({ canary: 2, webhooks: ['http://[::1'] }, /webhooks\[0\] .* is not a valid URL/);
    refused({ canary: 2, webhooks: [`http://x/${'a'.repeat(3000)}`] }, /webhooks\[0\] must be an http\(s\) URL of at most 2048/);
    assert.deepEqual(parseRolloutSpec({ canary: 2, webhooks: ['http://127.0.0.1:9/hook'] }).webhooks, ['http://127.0.0.1:9/hook']);
  });
});

describe('rollout spec: every judge is validated by its own schema', () => {
  it('refuses the judges that used to be accepted and then passed or stalled forever', () => {
    refused(judge({ judge: 'threshold', statistic: 'p95' }), /analysis\[0\]\.judge needs max or min: a threshold without a limit would always pass/);
    refused(judge({ judge: 'threshold', statistic: 'bogus', max: 5 }), /analysis\[0\]\.judge\.statistic must be mean, rate or a quantile such as p95, got "bogus"/);
    refused(judge({ judge: 'threshold', statistic: 'p95', max: 'abc' }), /analysis\[0\]\.judge\.max must be number, got "abc"/);
    refused(judge({ judge: 'welch_t', better: 'lower', alpha: 2 }), /analysis\[0\]\.judge\.alpha must be < 1, got 2/);
    refused(judge({ judge: 'drift', maxPsi: -1 }, 'drift'), /analysis\[0\]\.judge\.maxPsi must be > 0, got -1/);
    refused(judge({ judge: 'sequential', statistic: 'mean', better: 'lower', margin: -1 }), /analysis\[0\]\.judge\.margin must be >= 0, got -1/);
    refused(judge({ judge: 'sequential', statistic: 'mean', better: 'sideways' }), /judge\.better must be one of lower, higher, got "sideways"/);
    refused(judge({ judge: 'sequential', statistic: 'mean', better: 'lower', margn: 1 }), /analysis\[0\]\.judge has unknown field\(s\) margn for a sequential judge/);
    refused(judge({ judge: 'nope' }), /analysis\[0\]\.judge\.judge must be one of threshold, relative/);
  });

  it('refuses a judge that cannot read the metric it is given', () => {
    refused(judge({ judge: 'drift' }, 'accuracy'), /a drift judge cannot judge accuracy/);
    refused(judge({ judge: 'threshold', statistic: 'rate', max: 5 }, 'latency'), /latency is judged by its mean or a quantile such as p95, not "rate"/);
    refused(judge({ judge: 'mann_whitney', better: 'lower' }, 'error_rate'), /cannot judge error_rate/);
  });

  it('refuses unknown metric fields, non-boolean flags and duplicate names', () => {
    refused({ canary: 2, analysis: [{ metric: 'latency', judge: { judge: 'threshold', statistic: 'p95', max: 5 }, critcal: true }] }, /analysis\[0\] has unknown field\(s\) critcal/);
    refused({ canary: 2, analysis: [{ metric: 'latency', judge: { judge: 'threshold', statistic: 'p95', max: 5 }, critical: 'yes' }] }, /analysis\[0\]\.critical must be true or false/);
    const m = { name: 'p95', metric: 'latency', judge: { judge: 'threshold', statistic: 'p95', max: 5 } };
    refused({ canary: 2, analysis: [m, m] }, /"p95" is used twice/);
  });

  it('accepts every documented judge on a metric it fits', () => {
    const spec = parseRolloutSpec({
      canary: 2,
      analysis: [
        { metric: 'latency', judge: { judge: 'threshold', statistic: 'p99', max: 100, minSamples: 10 } },
        { metric: 'latency', judge: { judge: 'relative', statistic: 'p50', better: 'lower', maxIncrease: 0.5 } },
        { metric: 'latency', judge: { judge: 'welch_t', better: 'lower', alpha: 0.05, mde: 5, powerGate: true, assumedSd: 15 } },
        { metric: 'latency', judge: { judge: 'mann_whitney', better: 'lower' } },
        { metric: 'error_rate', judge: { judge: 'two_proportion', better: 'lower' }, critical: true },
        { metric: 'accuracy', judge: { judge: 'sequential', statistic: 'rate', better: 'higher', margin: 0.02 }, required: false },
        { metric: 'mae', judge: { judge: 'sequential', statistic: 'mean', better: 'lower', relativeMargin: 0.1 } },
        { metric: 'drift', judge: { judge: 'drift', maxPsi: 0.2, alpha: 0.001 } },
      ],
    });
    assert.equal(spec.analysis?.length, 8);
    assert.equal(spec.analysis?.[4]!.critical, true);
    assert.equal(spec.analysis?.[5]!.required, false);
  });
});

describe('rollout spec: fuzzed', () => {
  const field = fc.constantFrom('canary', 'steps', 'initial', 'increment', 'max', 'bake', 'interval', 'minSamples', 'analysis', 'failureLimit', 'maxDuration', 'srmAlpha', 'webhooks', 'inconclusive');
  const value = fc.oneof(
    fc.double(),
    fc.integer({ min: -10, max: 200 }),
    fc.constantFrom(1e-20, 1e-300, 0.01, 1e300, '30s', '99999999d', 'v2', 'pause', 'http://127.0.0.1:9/'),
    fc.array(fc.oneof(fc.double({ min: 0, max: 100 }), fc.jsonValue({ maxDepth: 2 })), { maxLength: 8 }),
    fc.jsonValue({ maxDepth: 3 }),
  );

  it('any input either parses into a bounded spec or is a 400, never a crash or an unbounded expansion', () => {
    fc.assert(
      fc.property(fc.dictionary(field, value, { maxKeys: 6 }), (raw) => {
        try {
          const spec = parseRolloutSpec({ canary: 2, ...raw });
          assert.ok(spec.steps.length >= 1 && spec.steps.length <= MAX_STEPS);
          assert.ok(spec.steps.every((s) => Number.isInteger(s.weightBp) && s.weightBp > 0 && s.weightBp <= 10_000));
          assert.ok(Number.isFinite(new Date(Date.now() + spec.maxDurationMs + spec.intervalMs).getTime()));
        } catch (err) {
          assert.ok(isAppError(err) && err.status === 400, `not a 400: ${String(err)}`);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
