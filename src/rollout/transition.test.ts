import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PHASES, type Phase, type Rollout } from '../domain/index.js';
import { parseRolloutSpec } from './rollout-spec.js';
import { desiredRouting, transition, type AnalysisResult, type RolloutEvent } from './transition.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const spec = parseRolloutSpec({ canary: 2, steps: [10, { weight: 25, bake: '1m', minSamples: 20 }, { pause: true }, 50], interval: '10s', bake: '10s', minSamples: 10, failureLimit: 1 });

function rollout(phase: Phase, stepIndex = 0, extra: Partial<Rollout> = {}): Rollout {
  return {
    id: 'r1',
    model: 'churn',
    revision: 1,
    spec,
    phase,
    stepIndex,
    stepStartedAt: new Date(T0).toISOString(),
    stepRoutingRevision: 5,
    startedAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
    stableVersion: 1,
    consecutiveFailures: 0,
    nextAnalysisAt: null,
    reason: null,
    attempt: 1,
    history: [],
    ...extra,
  };
}

const result = (status: AnalysisResult['status'], o: Partial<AnalysisResult> = {}): AnalysisResult => ({
  status,
  reason: status,
  srmMismatch: false,
  criticalFailure: false,
  verdicts: status === 'fail' ? [{ metric: 'accuracy', status: 'fail', reason: 'worse', evidence: { method: 'x', statistic: 'rate', n: { stable: 1, canary: 1 }, estimate: { stable: 1, canary: 0 }, effect: { absolute: -1, relative: -1 } } }] : [],
  n: { stable: 500, canary: 100 },
  ...o,
});

const later = (ms: number) => T0 + ms;

describe('transition(): every event in every phase', () => {
  const events: Record<string, RolloutEvent> = {
    start: { type: 'start', at: later(1) },
    analysis: { type: 'analysis', at: later(1), result: result('pass') },
    pause: { type: 'pause', at: later(1) },
    resume: { type: 'resume', at: later(1) },
    promote: { type: 'promote', at: later(1), full: false },
    abort: { type: 'abort', at: later(1) },
    retry: { type: 'retry', at: later(1) },
    promoted: { type: 'promoted', at: later(1) },
    load_failed: { type: 'load_failed', at: later(1), reason: 'corrupt file' },
  };
  // Which events each phase accepts; everything else is refused with a message.
  const accepts: Record<Phase, string[]> = {
    pending: ['start', 'abort', 'load_failed'],
    progressing: ['analysis', 'pause', 'promote', 'abort', 'load_failed'],
    paused: ['resume', 'promote', 'abort', 'load_failed'],
    promoting: ['promoted', 'load_failed'],
    succeeded: [],
    rolled_back: ['retry'],
    failed: ['retry'],
  };
  for (const phase of PHASES) {
    for (const [name, event] of Object.entries(events)) {
      const ok = accepts[phase].includes(name);
      it(`${phase} + ${name} → ${ok ? 'accepted' : 'refused'}`, () => {
        const r = transition(rollout(phase), event);
        assert.equal(r.ok, ok, r.ok ? `accepted, moved to ${r.next.phase}` : r.error);
        if (!r.ok) assert.match(r.error, new RegExp(`cannot \\w+ a rollout that is ${phase.replace('_', ' ')}`));
        else assert.equal(r.next.history.length, 1, 'every accepted transition appends one decision');
      });
    }
  }
});

describe('transition(): the rules', () => {
  it('start enters step 1, routes its weight and schedules the first analysis', () => {
    const r = transition(rollout('pending'), { type: 'start', at: T0 });
    assert.ok(r.ok);
    assert.equal(r.next.phase, 'progressing');
    assert.deepEqual(r.effects[0], { type: 'route', canaryVersion: 2, weightBp: 1000 });
    assert.equal(r.effects[1]!.type, 'notify');
    assert.equal(r.next.nextAnalysisAt, new Date(T0 + 10_000).toISOString());
    assert.equal(r.next.history[0]!.action, 'start');
  });

  it('a passing analysis advances only after the bake time and the sample minimum', () => {
    const s = rollout('progressing', 1);
    const early = transition(s, { type: 'analysis', at: later(30_000), result: result('pass') });
    assert.ok(early.ok);
    assert.equal(early.next.stepIndex, 1);
    assert.match(early.next.history[0]!.reason, /baking until/);
    const few = transition(s, { type: 'analysis', at: later(61_000), result: result('pass', { n: { stable: 100, canary: 5 } }) });
    assert.ok(few.ok);
    assert.match(few.next.history[0]!.reason, /15 more canary requests needed/);
    const ready = transition(s, { type: 'analysis', at: later(61_000), result: result('pass') });
    assert.ok(ready.ok);
    assert.equal(ready.next.stepIndex, 2);
    assert.equal(ready.next.phase, 'paused', 'step 3 is a manual gate');
    assert.match(ready.next.reason!, /manual gate at step 3/);
  });

  it('resume at a manual gate moves on; promote --full skips to promoting; promoted succeeds', () => {
    const gate = rollout('paused', 2);
    const resumed = transition(gate, { type: 'resume', at: later(1) });
    assert.ok(resumed.ok);
    assert.equal(resumed.next.stepIndex, 3);
    assert.equal(resumed.next.phase, 'progressing');
    const full = transition(rollout('progressing', 0), { type: 'promote', at: later(1), full: true });
    assert.ok(full.ok);
    assert.equal(full.next.phase, 'promoting');
    assert.deepEqual(full.effects[0], { type: 'promote' });
    const done = transition(full.next, { type: 'promoted', at: later(2) });
    assert.ok(done.ok);
    assert.equal(done.next.phase, 'succeeded');
    assert.equal(done.next.history.at(-1)!.weightBp, 10_000);
  });

  it('reaching a 100% step is the promotion: stable would have no traffic left to compare with', () => {
    const full = parseRolloutSpec({ canary: 2, steps: [50, 100], bake: '1s', minSamples: 1 });
    const r = transition(rollout('progressing', 0, { spec: full }), { type: 'analysis', at: later(5000), result: result('pass') });
    assert.ok(r.ok);
    assert.equal(r.next.phase, 'promoting');
  });

  it('the last step passing leads to promoting', () => {
    const r = transition(rollout('progressing', 3), { type: 'analysis', at: later(60_000), result: result('pass') });
    assert.ok(r.ok);
    assert.equal(r.next.phase, 'promoting');
  });

  it('failures within the limit hold; beyond it, or a critical one, roll back naming the metric', () => {
    const once = transition(rollout('progressing', 1), { type: 'analysis', at: later(1), result: result('fail') });
    assert.ok(once.ok);
    assert.equal(once.next.phase, 'progressing');
    assert.equal(once.next.consecutiveFailures, 1);
    const twice = transition(once.next, { type: 'analysis', at: later(2), result: result('fail') });
    assert.ok(twice.ok);
    assert.equal(twice.next.phase, 'rolled_back');
    assert.match(twice.next.reason!, /2 failed analyses, more than the 1 tolerated \(accuracy\)/);
    assert.deepEqual(twice.effects[0], { type: 'rollback', reason: twice.next.reason });
    const critical = transition(rollout('progressing', 1), { type: 'analysis', at: later(1), result: result('fail', { criticalFailure: true }) });
    assert.ok(critical.ok);
    assert.equal(critical.next.phase, 'rolled_back');
    assert.match(critical.next.reason!, /critical metric failed \(accuracy\)/);
  });

  it('a sample-ratio mismatch pauses instead of judging', () => {
    const r = transition(rollout('progressing', 1), { type: 'analysis', at: later(1), result: result('fail', { srmMismatch: true }) });
    assert.ok(r.ok);
    assert.equal(r.next.phase, 'paused');
    assert.equal(r.next.reason, 'sample ratio mismatch');
  });

  it('inconclusive holds with the wait policy and pauses with the pause policy, after the bake time', () => {
    const waitPolicy = transition(rollout('progressing', 0), { type: 'analysis', at: later(20_000), result: result('inconclusive') });
    assert.ok(waitPolicy.ok);
    assert.equal(waitPolicy.next.phase, 'progressing');
    assert.match(waitPolicy.next.history[0]!.reason, /not enough evidence yet/);
    const pausing = rollout('progressing', 0, { spec: { ...spec, inconclusive: 'pause' } });
    const paused = transition(pausing, { type: 'analysis', at: later(20_000), result: result('inconclusive') });
    assert.ok(paused.ok);
    assert.equal(paused.next.phase, 'paused');
  });

  it('rolls back when maxDuration passes; ticks otherwise change nothing', () => {
    const quiet = transition(rollout('progressing'), { type: 'tick', at: later(1000) });
    assert.ok(quiet.ok);
    assert.equal(quiet.next.history.length, 0);
    const late = transition(rollout('progressing'), { type: 'tick', at: later(spec.maxDurationMs + 1) });
    assert.ok(late.ok);
    assert.equal(late.next.phase, 'rolled_back');
    assert.match(late.next.reason!, /maxDuration/);
  });

  it('retry starts again at step 1 as a new attempt; history is kept', () => {
    const rolled = transition(rollout('progressing', 2), { type: 'abort', at: later(1), reason: 'bad' });
    assert.ok(rolled.ok);
    const again = transition(rolled.next, { type: 'retry', at: later(2) });
    assert.ok(again.ok);
    assert.equal(again.next.stepIndex, 0);
    assert.equal(again.next.attempt, 2);
    assert.deepEqual(again.next.history.map((d) => d.action), ['rollback', 'retry']);
    assert.deepEqual(again.next.history.map((d) => d.seq), [1, 2]);
  });

  it('records the step routing revision without adding history', () => {
    const r = transition(rollout('progressing', 0, { stepRoutingRevision: null }), { type: 'step_applied', at: later(1), routingRevision: 9 });
    assert.ok(r.ok);
    assert.equal(r.next.stepRoutingRevision, 9);
    assert.equal(r.next.history.length, 0);
  });

  it('says what routing each phase wants', () => {
    assert.deepEqual(desiredRouting(rollout('progressing', 1)), { kind: 'canary', version: 2, weightBp: 2500 });
    assert.deepEqual(desiredRouting(rollout('paused', 2)), { kind: 'canary', version: 2, weightBp: 2500 });
    assert.deepEqual(desiredRouting(rollout('promoting')), { kind: 'promote' });
    assert.deepEqual(desiredRouting(rollout('rolled_back')), { kind: 'none' });
    assert.deepEqual(desiredRouting(rollout('succeeded')), { kind: 'keep' });
  });
});

describe('rollout spec', () => {
  it('expands the sketch shorthand: 5% then +10% up to 100%', () => {
    const s = parseRolloutSpec({ canary: 2 });
    assert.deepEqual(s.steps.map((x) => x.weightBp / 100), [5, 15, 25, 35, 45, 55, 65, 75, 85, 95, 100]);
    assert.equal(s.intervalMs, 30_000);
    assert.equal(s.analysis, null);
  });

  it('reads YAML with durations, gates and a custom analysis', () => {
    const s = parseRolloutSpec('canary: v3\nsteps:\n  - 5\n  - {weight: 20, bake: 2m, minSamples: 500}\n  - pause: true\n  - 100\ninterval: 15s\nanalysis:\n  - {metric: error_rate, critical: true, judge: {judge: threshold, statistic: rate, max: 0.05}}\nwebhooks: [http://127.0.0.1:9/hook]\n');
    assert.equal(s.canaryVersion, 3);
    assert.deepEqual(s.steps.map((x) => [x.weightBp, x.bakeMs, x.minSamples, x.pause]), [[500, 15_000, 50, false], [2000, 120_000, 500, false], [2000, 15_000, 50, true], [10_000, 15_000, 50, false]]);
    assert.equal(s.analysis![0]!.critical, true);
  });

  it('refuses bad specs with the field named', () => {
    const bad: [unknown, RegExp][] = [
      [{}, /canary must be a whole number/],
      [{ canary: 2, steps: [] }, /steps must be a list/],
      [{ canary: 2, steps: [50, 20] }, /must not be below the previous step/],
      [{ canary: 2, steps: [0] }, /must be above 0%/],
      [{ canary: 2, steps: [120] }, /between 0 and 100/],
      [{ canary: 2, interval: 'soon' }, /interval "soon" must be a duration/],
      [{ canary: 2, inconclusive: 'maybe' }, /inconclusive must be "wait" or "pause"/],
      [{ canary: 2, colour: 'red' }, /unknown field\(s\) colour/],
      [{ canary: 2, analysis: [{ metric: 'joy', judge: { judge: 'threshold' } }] }, /analysis\[0\]\.metric must be one of/],
      [{ canary: 2, webhooks: ['ftp://x'] }, /webhooks\[0\] must be an http\(s\) URL/],
      ['canary: [unclosed', /neither JSON nor YAML/],
    ];
    for (const [input, message] of bad) assert.throws(() => parseRolloutSpec(input), message, JSON.stringify(input));
  });
});
