import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { SeriesPoint } from '../api.js';
import { chartData, LINES, type ChartKind, type Marker, type Threshold } from '../chart-data.js';

const COLORS = { stable: '#2563eb', canary: '#ea580c' };
const LATENCY_WIDTH: Record<string, number> = { p50: 1, p95: 2, p99: 1.5 };

interface Props {
  readonly kind: ChartKind;
  readonly title: string;
  readonly unit: string;
  readonly points: readonly SeriesPoint[];
  readonly thresholds: readonly Threshold[];
  readonly markers: readonly Marker[];
  /** Lower bound of the y axis when the data allows (0 for rates and counts). */
  readonly yMin?: number;
  readonly yMax?: number;
  /** The time span shown (Unix ms), so a 45 s rollout is not squeezed into the server's whole life. */
  readonly range: readonly [number, number];
  /** The series step: a longer stretch without points is drawn as a gap. */
  readonly stepMs: number;
}

/** Axis labels with their unit, so "12" on the latency chart reads "12 ms". */
function withUnit(v: number, unit: string): string {
  const n = `${+v.toFixed(2)}`;
  return unit === '%' ? `${n}%` : unit === 'ms' ? `${n} ms` : n;
}

/** A limit far above the data would flatten every line; it is then named in the caption instead. */
const OFF_SCALE = 3;

function yRange(data: (number | null)[][], thresholds: readonly Threshold[], yMin = 0, yMax?: number): [number, number] {
  let hi = 0;
  let lo = yMin;
  for (const line of data) {
    for (const v of line) {
      if (v === null) continue;
      hi = Math.max(hi, v);
      lo = Math.min(lo, v);
    }
  }
  for (const t of thresholds) if (t.value <= Math.max(hi, 1e-9) * OFF_SCALE) hi = Math.max(hi, t.value);
  const top = hi > 0 ? hi * 1.1 : 1;
  return [lo, yMax !== undefined ? Math.min(yMax, top) : top];
}

/** A live time-series chart (uPlot on a canvas), with rollout steps and limits drawn in. */
export function Chart(p: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const extras = useRef({ thresholds: p.thresholds, markers: p.markers });
  extras.current = { thresholds: p.thresholds, markers: p.markers };
  const lines = LINES[p.kind];
  const shown = p.points.filter((x) => x.t >= p.range[0] - p.stepMs && x.t <= p.range[1]);
  const data = chartData(shown, lines, p.stepMs);
  const range = useRef<[number, number]>([0, 1]);
  range.current = yRange(data.lines, p.thresholds, p.yMin, p.yMax);
  const xr = useRef<[number, number]>([0, 1]);
  xr.current = [p.range[0] / 1000, p.range[1] / 1000];

  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 190,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true, range: () => xr.current }, y: { range: () => range.current } },
      axes: [
        // `space`: at least 80 px between time ticks, so their labels never run into each other.
        { stroke: '#64748b', grid: { stroke: '#e2e8f0' }, ticks: { stroke: '#e2e8f0' }, space: 80, values: (_u, splits) => splits.map((v) => new Date(v * 1000).toLocaleTimeString('en-GB', { hour12: false })) },
        { stroke: '#64748b', grid: { stroke: '#e2e8f0' }, ticks: { stroke: '#e2e8f0' }, size: 60, values: (_u, splits) => splits.map((v) => withUnit(v, p.unit)) },
      ],
      series: [
        {},
        ...lines.map((l) => {
          const q = /p\d+$/.exec(l.label)?.[0];
          return { label: l.label, stroke: COLORS[l.variant], width: q ? LATENCY_WIDTH[q] : 2, ...(q === 'p99' ? { dash: [5, 4] } : q === 'p50' ? { dash: [2, 3] } : {}), spanGaps: false, points: { show: false } };
        }),
      ],
      hooks: { draw: [(u) => drawExtras(u, extras.current.thresholds, extras.current.markers)] },
    };
    const d = chartData([], lines);
    plot.current = new uPlot(opts, [d.x, ...d.lines], el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: 190 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [p.kind]);

  useEffect(() => {
    plot.current?.setData([data.x, ...data.lines]);
  });

  const hidden = p.thresholds.filter((t) => t.value > range.current[1]);
  const total = shown.reduce((s, x) => s + x.requests, 0);
  return (
    <figure class="chart" data-kind={p.kind} data-points={new Set(shown.map((x) => x.t)).size} data-requests={total}>
      <figcaption>
        <span>{p.title}</span>
        {hidden.length > 0 && <small class="muted"> · limit {hidden.map((t) => `${t.label} ${t.value} ${p.unit}`).join(', ')} (above the chart)</small>}
      </figcaption>
      <div ref={box} class="plot" />
    </figure>
  );
}

function drawExtras(u: uPlot, thresholds: readonly Threshold[], markers: readonly Marker[]): void {
  const { ctx, bbox } = u;
  const dpr = devicePixelRatio || 1;
  ctx.save();
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  for (const t of thresholds) {
    const y = u.valToPos(t.value, 'y', true);
    if (y < bbox.top || y > bbox.top + bbox.height) continue;
    ctx.strokeStyle = '#dc2626';
    ctx.fillStyle = '#dc2626';
    ctx.setLineDash([6 * dpr, 4 * dpr]);
    ctx.lineWidth = dpr;
    ctx.beginPath();
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.stroke();
    ctx.textAlign = 'right';
    ctx.fillText(t.label, bbox.left + bbox.width - 4 * dpr, y - 3 * dpr);
    ctx.textAlign = 'left';
  }
  // Labels of markers close together go on the next row down (up to three), then are left out:
  // side by side, "10%" and "50%" read as "1050%".
  const rowEnds = [-Infinity, -Infinity, -Infinity];
  for (const m of markers) {
    const x = u.valToPos(m.x, 'x', true);
    if (x < bbox.left || x > bbox.left + bbox.width) continue;
    const color = m.kind === 'rollback' ? '#dc2626' : m.kind === 'promote' ? '#16a34a' : '#475569';
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.setLineDash([2 * dpr, 3 * dpr]);
    ctx.lineWidth = dpr;
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    const width = ctx.measureText(m.label).width;
    const row = rowEnds.findIndex((end) => x + 3 * dpr > end + 4 * dpr);
    if (row === -1) continue;
    rowEnds[row] = x + 3 * dpr + width;
    ctx.fillText(m.label, x + 3 * dpr, bbox.top + (11 + row * 12) * dpr);
  }
  ctx.restore();
}
