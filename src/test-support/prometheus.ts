import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, missing, startDaemon } from './daemons.js';
import { freePort } from './server-process.js';

export function prometheusBinary(): string | null {
  return findBinary(['/usr/bin/prometheus', '/usr/local/bin/prometheus'], ['--version']);
}

/** Why the Prometheus tests cannot run here, or null. In CI (COALMINE_REQUIRE_PROMETHEUS=1) they must. */
export function prometheusUnavailable(): string | null {
  return missing(prometheusBinary() !== null, 'Prometheus', 'prometheus', 'the controller tests that read it', 'COALMINE_REQUIRE_PROMETHEUS');
}

export interface RunningPrometheus {
  readonly url: string;
  stop(): Promise<void>;
}

/** Debian's Prometheus on loopback, scraping `targets` (http://host:port/metrics URLs) every second into a temporary directory. */
export async function startPrometheus(targets: readonly string[]): Promise<RunningPrometheus> {
  const bin = prometheusBinary();
  if (!bin) throw new Error('Prometheus is not installed (Debian: apt-get install prometheus)');
  const dir = mkdtempSync(join(tmpdir(), 'coalmine-prometheus-'));
  const port = await freePort();
  const jobs = targets.map((t, i) => {
    const u = new URL(t);
    return `  - job_name: target${i}\n    metrics_path: ${u.pathname}\n    static_configs:\n      - targets: ['${u.host}']`;
  });
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n${jobs.join('\n')}\n`);
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon(bin, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], `${url}/-/ready`, {
    ok200: true,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  });
  // Prometheus hands discovered targets to its scrapers every 5 s: wait until each has been scraped once.
  for (let i = 0; ; i++) {
    const t = (await (await fetch(`${url}/api/v1/targets`)).json()) as { data: { activeTargets: { health: string }[] } };
    if (t.data.activeTargets.length === targets.length && t.data.activeTargets.every((x) => x.health === 'up')) break;
    if (i > 300) {
      await daemon.stop();
      throw new Error(`prometheus did not scrape ${targets.join(', ')} within 15 s: ${JSON.stringify(t.data.activeTargets)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, stop: daemon.stop };
}
