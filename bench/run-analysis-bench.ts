/**
 * `npm run bench:analysis`: false alarms under continuous monitoring and samples to detection,
 * for the labs' repeated tests and coalmine's sequential judges. One JSON line per method and
 * scenario, then the targets of issue 3 with whether they are met (exit 1 if not).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulate, type Scenario, type SimulationResult } from './monitoring-simulation.js';
import { PAIRED_SCENARIOS, simulatePaired } from './paired-simulation.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 2000);
const opts = { runs: RUNS, nMax: 2000, lookEvery: 10 };
const scenarios: (Scenario & { seed: number })[] = [
  { name: 'identical latency (false alarms)', kind: 'latency', shift: 0, seed: 5005 },
  { name: 'canary +10 ms (sd 15)', kind: 'latency', shift: 10, seed: 6006 },
  { name: 'canary +5 ms (sd 15)', kind: 'latency', shift: 5, seed: 7007 },
  { name: 'identical accuracy 90% (false alarms)', kind: 'accuracy', accuracy: { stable: 0.9, canary: 0.9 }, seed: 8008 },
  { name: 'accuracy 90% → 85%', kind: 'accuracy', accuracy: { stable: 0.9, canary: 0.85 }, seed: 9009 },
];

const started = Date.now();
const all: SimulationResult[] = [];
for (const s of scenarios) {
  for (const r of simulate(s, { ...opts, seed: s.seed })) {
    all.push(r);
    console.log(JSON.stringify(r));
  }
}

for (const s of PAIRED_SCENARIOS) {
  for (const r of simulatePaired(s, { ...opts, seed: s.seed })) {
    all.push(r);
    console.log(JSON.stringify(r));
  }
}

const find = (scenario: string, method: string) => all.find((r) => r.scenario.startsWith(scenario) && r.method.startsWith(method))!;
const welch10 = find('canary +10', 'welch_repeated').median_n_per_arm!;
const seq10 = find('canary +10', 'sequential_judge').median_n_per_arm ?? Number.POSITIVE_INFINITY;
const targets = [
  { target: 'false alarms of the sequential latency judge <= 5%', value: find('identical latency', 'sequential_judge').alarm_rate, met: find('identical latency', 'sequential_judge').alarm_rate <= 0.05 },
  { target: 'false alarms of the sequential accuracy judge <= 5%', value: find('identical accuracy', 'sequential_judge_rate').alarm_rate, met: find('identical accuracy', 'sequential_judge_rate').alarm_rate <= 0.05 },
  { target: 'repeated Welch false alarms (for comparison, about 37%)', value: find('identical latency', 'welch_repeated').alarm_rate, met: true },
  { target: 'sequential detection at +10 ms within 1.5x repeated Welch (median n per arm)', value: `${seq10} vs ${welch10}`, met: seq10 <= 1.5 * welch10 },
  { target: 'false alarms of the always-valid paired McNemar judge <= 5%', value: find('paired: equally', 'mcnemar_sequential').alarm_rate, met: find('paired: equally', 'mcnemar_sequential').alarm_rate <= 0.05 },
  {
    target: 'labelled requests (median) to catch 90% → 85% paired, 11% discordant, against the unpaired canary judge on the same labels',
    value: `${find('paired: accuracy 90% → 85%, 11%', 'mcnemar_sequential').median_n_per_arm} vs ${find('paired: accuracy 90% → 85%, 11%', 'sequential_judge_rate unpaired').median_n_per_arm} (unpaired, 2 arms of that many)`,
    met: (find('paired: accuracy 90% → 85%, 11%', 'mcnemar_sequential').median_n_per_arm ?? Infinity) < (find('paired: accuracy 90% → 85%, 11%', 'sequential_judge_rate unpaired').median_n_per_arm ?? Infinity),
  },
];
for (const t of targets) console.log(JSON.stringify(t));
const out = join(fileURLToPath(new URL('.', import.meta.url)), 'results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'analysis-latest.json'), JSON.stringify({ at: new Date().toISOString(), settings: opts, results: all, targets }, null, 2));
console.error(`simulated ${scenarios.length} scenarios × ${RUNS} runs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (targets.some((t) => !t.met)) process.exitCode = 1;
