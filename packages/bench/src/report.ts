/** The results as Markdown tables (for the terminal and BENCHMARKS.md) and as JSON. */
import type { Machine } from './machine.js';
import type { Results, Row } from './run.js';
import type { RssResult } from './rss.js';
import type { Stat } from './stats.js';
import type { Setup } from './types.js';
import type { Sizes } from './workloads.js';

export interface Report {
  readonly schema: 1;
  readonly date: string;
  readonly mode: Sizes['mode'];
  readonly sizes: Sizes;
  readonly machine: Machine;
  /** 1-minute load average when the run ended. */
  readonly loadAvgAtEnd: number;
  readonly wallSeconds: number;
  readonly systems: readonly {
    readonly id: string;
    readonly label: string;
    readonly version?: string;
    readonly notes?: readonly string[];
    readonly unavailable?: string;
  }[];
  readonly results: Results;
  readonly w1PeakRss?: RssResult | { readonly error: string };
}

export function describeSystems(setups: readonly Setup[]): Report['systems'] {
  return setups.map((s) =>
    'reason' in s ? { id: s.id, label: s.label, unavailable: s.reason } : { id: s.id, label: s.label, version: s.version, notes: s.notes },
  );
}

const num = (x: number, digits = 3): string => {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  if (a >= 10) return x.toFixed(2);
  return x.toPrecision(digits);
};
const range = (s: Stat) => `${num(s.min)} – ${num(s.max)}`;
const loss = (s: Stat | undefined) => (s ? s.median.toExponential(3) : '');
const ratio = (r: number | null) => (r === null ? '' : `${r.toFixed(2)}×`);

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const cpu = (r: Row) => (r.cpuPerWall ? r.cpuPerWall.max.toFixed(2) : '');
const failed = (r: Row) => (r.errors ? `FAILED (${r.errors.length}): ${r.errors[0]}` : '');

function w1Table(rows: readonly Row[]): string {
  return table(
    ['system', 'µs/step median', 'min – max', 'peer/Fluxion', 'final loss (median)', 'first loss', 'CPU/wall', 'note'],
    rows.map((r) => [r.label, num(r.value.median), range(r.value), ratio(r.ratio), loss(r.finalLoss), loss(r.firstLoss), cpu(r), failed(r)]),
  );
}

function w3Table(rows: readonly Row[]): string {
  return table(
    ['system', 'ms/step median', 'min – max', 'peer/Fluxion', 'final loss (median)', 'first loss', 'CPU/wall', 'note'],
    rows.map((r) => [r.label, num(r.value.median), range(r.value), ratio(r.ratio), loss(r.finalLoss), loss(r.firstLoss), cpu(r), failed(r)]),
  );
}

function w4Table(blocks: NonNullable<Results['w4']>): string {
  const rows: string[][] = [];
  for (const b of blocks) for (const r of b.rows) rows.push([String(b.n), r.label, num(r.value.median), range(r.value), ratio(r.ratio), cpu(r), failed(r)]);
  return table(['n', 'system', 'GFLOP/s median', 'min – max', 'peer/Fluxion', 'CPU/wall', 'note'], rows);
}

export function formatReport(rep: Report): string {
  const { sizes, machine: m } = rep;
  const out: string[] = [];
  out.push(`# Fluxion benchmark (${rep.mode}${rep.mode === 'quick' ? ': smoke sizes, the numbers mean nothing' : ''}), ${rep.date}`);
  out.push('');
  out.push(
    `Machine: ${m.cpuModel}, ${m.cores} logical CPUs (${m.availableParallelism} available), ${m.totalMemGiB} GiB; ` +
      `Node ${m.node} (V8 ${m.v8}), ${m.platform} ${m.arch}; load average ${m.loadAvgAtStart.toFixed(2)} at start, ${rep.loadAvgAtEnd.toFixed(2)} at end; ${rep.wallSeconds.toFixed(0)} s.`,
  );
  out.push(`Repetitions: ${sizes.reps}, interleaved (each repetition runs every system once, order rotated); median and min – max over repetitions.`);
  out.push('CPU/wall: the largest ratio of process CPU time to wall time over the repetitions; about 1 means one core, clearly more means several threads.');
  out.push('');
  out.push('## Systems');
  for (const s of rep.systems) {
    if (s.unavailable) out.push(`- **${s.label}** (${s.id}): UNAVAILABLE: ${s.unavailable}`);
    else out.push(`- **${s.label}** (${s.id}): ${s.version}. ${(s.notes ?? []).join('. ')}`);
  }
  const r = rep.results;
  if (r.w1) {
    out.push('');
    out.push(`## W1: the seed, MLP 1→16→32→1, leakyRelu 0.2, MSE, Adam, batch 100 (${sizes.w1.steps} steps after ${sizes.w1.warmup} warm-up)`);
    out.push('µs/step, lower is better; peer/Fluxion > 1 means Fluxion is faster. Final loss: mean of the last 100 steps.');
    out.push('');
    out.push(w1Table(r.w1));
  }
  if (rep.w1PeakRss) {
    out.push('');
    const p = rep.w1PeakRss;
    if ('error' in p) out.push(`W1 peak RSS (Fluxion alone, child process): FAILED: ${p.error}`);
    else
      out.push(
        `W1 peak RSS (Fluxion alone, child process, ${p.steps} steps after ${p.warmup}): **${p.peakRssMiB.toFixed(1)} MiB** ` +
          `(${(p.peakRssMiB * 1.048576).toFixed(1)} MB); ${p.baselineRssMiB.toFixed(1)} MiB of it already resident before W1 started ` +
          `(node + Fluxion); child run by ${p.how}; that run: ${num(p.usPerStep)} µs/step, final loss ${p.finalLoss.toExponential(3)}.`,
      );
  }
  if (r.w3) {
    out.push('');
    out.push(`## W3: MLP 784→512→512→10, relu, softmax cross-entropy, Adam, batch 128, fixed data (${sizes.w3.steps} steps after ${sizes.w3.warmup} warm-up)`);
    out.push('ms/step, lower is better; peer/Fluxion > 1 means Fluxion is faster.');
    out.push('');
    out.push(w3Table(r.w3));
  }
  if (r.w4) {
    out.push('');
    out.push(`## W4: float32 matmul n×n, GFLOP/s = 2n³/t (at least ${sizes.w4.minIters} products and ${sizes.w4.minMs} ms per measurement)`);
    out.push('GFLOP/s, higher is better; peer/Fluxion > 1 means the peer is faster.');
    out.push('');
    out.push(w4Table(r.w4));
  }
  return out.join('\n');
}
