import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Decision, Info, RolloutInfo, SeriesPoint, Verdict } from './api.js';
import { chartData, LINES, markers, mergePoints, observedShare, thresholds, xRange } from './chart-data.js';
import { duration, faultWords, verdictWords } from './format.js';

const verdict = (metric: string, status: Verdict['status'], evidence: Partial<Verdict['evidence']>): Verdict => ({
  metric,
  status,
  reason: '',
  evidence: { method: 'msprt_normal', statistic: 'mean', n: { stable: 3688, canary: 412 }, estimate: { stable: 20, canary: 51 }, effect: { absolute: 31, relative: 1.55 }, ...evidence },
});

describe('dashboard wording', () => {
  it('says a latency verdict the way the issue asks', () => {
    const v = verdict('latency_p95', 'fail', { statistic: 'p95', interval: { lower: 22, upper: 40, level: 0.95 } });
    assert.equal(verdictWords(v), 'canary latency p95 is 31 ms higher than stable, 95% always-valid interval [22, 40] ms, n = 412 canary / 3,688 stable → fail');
  });

  it('shows rates in percentage points and thresholds with their limit', () => {
    const rate = verdict('error_rate', 'pass', { statistic: 'rate', estimate: { stable: 0.01, canary: 0.005 }, effect: { absolute: -0.005, relative: -0.5 }, interval: { lower: -0.012, upper: 0.002, level: 0.95 } });
    assert.equal(verdictWords(rate), 'canary error rate is 0.5 pp lower than stable, 95% always-valid interval [-1.2, 0.2] pp, n = 412 canary / 3,688 stable → pass');
    const limit = verdict('accuracy_min', 'fail', { method: 'threshold', statistic: 'rate', estimate: { stable: 0.89, canary: 0.6 }, threshold: 0.85 });
    assert.equal(verdictWords(limit), 'canary accuracy is 60% (limit 85%), n = 412 canary / 3,688 stable → fail');
    const waiting = verdict('latency', 'inconclusive', { n: { stable: 3, canary: 0 }, estimate: { stable: 1, canary: null }, effect: { absolute: null, relative: null }, needed: { stable: 27, canary: 30 } });
    assert.equal(verdictWords(waiting), 'canary mean latency: not enough data to compare, n = 0 canary / 3 stable, needs 30 more canary and 27 more stable → inconclusive');
  });

  it('names faults and durations', () => {
    assert.equal(faultWords({ wrong: 0.4, delay_ms: [10, 30], errors: 0.05 }), '40% wrong answers, 10–30 ms delay, 5% errors');
    assert.equal(faultWords({ wrong: 0, delay_ms: 0, errors: 0 }), '');
    assert.equal(duration(75_000), '1m 15s');
    assert.equal(duration(-5), '0s');
    assert.equal(duration(3_600_000 * 2 + 60_000), '2h 1m');
  });
});

const point = (t: number, variant: SeriesPoint['variant'], requests: number, extra: Partial<SeriesPoint> = {}): SeriesPoint => ({
  t,
  variant,
  requests,
  rps: requests / 5,
  errors: 0,
  error_rate: 0,
  latency_ms: { p50: 1, p95: 2, p99: 3 },
  labelled: 0,
  accuracy: null,
  ...extra,
});

describe('chart data', () => {
  it('aligns both variants on one time axis, with gaps where a variant had no traffic', () => {
    const d = chartData([point(10_000, 'stable', 50), point(15_000, 'stable', 40), point(15_000, 'canary', 10, { errors: 1, error_rate: 0.1 })], LINES.errors);
    assert.deepEqual(d.x, [10, 15]);
    assert.deepEqual(d.lines, [
      [0, 0],
      [null, 10],
    ]);
  });

  it('replaces the step in progress, keeps order and drops points older than the window', () => {
    const merged = mergePoints([point(0, 'stable', 1), point(5000, 'stable', 2)], [point(5000, 'stable', 7), point(10_000, 'canary', 1)], 10_000, 6000);
    assert.deepEqual(
      merged.map((p) => [p.t, p.variant, p.requests]),
      [
        [5000, 'stable', 7],
        [10_000, 'canary', 1],
      ],
    );
    assert.equal(observedShare(merged, 0), 1 / 8);
    assert.equal(observedShare([], 0), null);
  });

  it('draws the rollout’s own limits, or the server defaults, and its step changes', () => {
    const info = { thresholds: { accuracy_pct: 85, latency_p95_ms: 100 } } as Info;
    assert.deepEqual(thresholds(info, null).latency, [{ value: 100, label: 'p95 max' }]);
    const rollout = { spec: { analysis: [{ name: 'p99', metric: 'latency', critical: false, required: true, judge: { judge: 'threshold', statistic: 'p99', max: 250 } }, { name: 'err', metric: 'error_rate', critical: true, required: true, judge: { judge: 'threshold', statistic: 'rate', max: 0.02 } }] } } as unknown as RolloutInfo;
    const custom = thresholds(info, rollout);
    assert.deepEqual(custom.latency, [{ value: 250, label: 'p99 max' }]);
    assert.deepEqual(custom.errors, [{ value: 2, label: 'max' }]);
    assert.deepEqual(custom.accuracy, []);
    const at = (s: number) => new Date(s * 1000).toISOString();
    const history = [
      { action: 'start', at: at(100), weight: 10 },
      { action: 'hold', at: at(130), weight: 10 },
      { action: 'advance', at: at(160), weight: 50 },
      { action: 'rollback', at: at(190), weight: 50 },
    ] as Decision[];
    assert.deepEqual(markers(history), [
      { x: 100, label: '10%', kind: 'step' },
      { x: 160, label: '50%', kind: 'step' },
      { x: 190, label: 'rollback', kind: 'rollback' },
    ]);
  });
});

describe('chart time axis', () => {
  const point = (t: number, variant: 'stable' | 'canary', rps: number) => ({ t, variant, requests: rps * 5, rps, errors: 0, error_rate: 0, latency_ms: { p50: 1, p95: 2, p99: 3 }, labelled: 0, accuracy: null }) as SeriesPoint;

  it('a stretch with no points is a gap, not a line drawn across it', () => {
    const d = chartData([point(0, 'stable', 10), point(5000, 'stable', 12), point(60_000, 'stable', 11)], LINES.rps, 5000);
    assert.deepEqual(d.x, [0, 5, 10, 60]);
    assert.deepEqual(d.lines[0], [10, 12, null, 11]);
  });

  it('defaults to the rollout while it is recent, else the last 15 minutes, and follows a pick', () => {
    const now = Date.parse('2026-01-01T01:00:00Z');
    const rollout = { phase: 'succeeded', started_at: new Date(now - 120_000).toISOString(), updated_at: new Date(now - 75_000).toISOString() } as RolloutInfo;
    const history = [{ at: new Date(now - 75_000).toISOString() }] as Decision[];
    const r = xRange(null, rollout, history, now, 15 * 60_000);
    assert.equal(r.choice, 'rollout');
    assert.ok(r.from < now - 120_000 && r.from > now - 130_000, 'starts just before the rollout');
    assert.ok(r.to > now - 75_000 && r.to <= now - 70_000, 'ends just after it');
    const old = { ...rollout, started_at: new Date(now - 3_600_000).toISOString() } as RolloutInfo;
    assert.equal(xRange(null, old, [{ at: new Date(now - 3_000_000).toISOString() }] as Decision[], now, 15 * 60_000).choice, '15m');
    assert.deepEqual(xRange('5m', rollout, history, now, 15 * 60_000), { choice: '5m', from: now - 300_000, to: now });
    assert.equal(xRange(null, null, [], now, 15 * 60_000).choice, '15m');
  });
});
