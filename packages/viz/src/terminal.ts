/**
 * Terminal charts from Unicode block characters: a one-line sparkline for a progress bar, and a
 * small multi-line chart. Plain strings, no escape codes: the caller decides where they go.
 */

const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;
const EIGHTHS = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

/** Options of `sparkline` and `miniChart`. */
export interface TerminalChartOptions {
  /** Characters wide (default 24 for a sparkline, 60 for a chart). */
  readonly width?: number;
  /** Log scale for values over decades, as a loss (default false). Non-positive values are gaps. */
  readonly log?: boolean;
  /** Fix the range instead of taking the values' extent. */
  readonly min?: number;
  readonly max?: number;
}

/**
 * Means of `values` over `width` equal buckets (geometric means with `log`); NaN for a bucket
 * with no usable value. With fewer values than `width`, one bucket per value.
 */
export function buckets(values: ArrayLike<number>, width: number, log = false): Float64Array {
  const n = values.length;
  const w = Math.max(0, Math.min(width, n));
  const out = new Float64Array(w);
  for (let b = 0; b < w; b++) {
    const i0 = Math.floor((b * n) / w);
    const i1 = Math.floor(((b + 1) * n) / w);
    let s = 0;
    let c = 0;
    for (let i = i0; i < i1; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v) || (log && !(v > 0))) continue;
      s += log ? Math.log(v) : v;
      c++;
    }
    out[b] = c === 0 ? NaN : log ? Math.exp(s / c) : s / c;
  }
  return out;
}

/** Positions of the bucket values in [0, 1] of the range (NaN for gaps). */
function normalised(values: ArrayLike<number>, width: number, opts: TerminalChartOptions): Float64Array {
  const log = opts.log ?? false;
  const b = buckets(values, width, log);
  const t = (v: number): number => (log ? Math.log(v) : v);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of b) {
    if (Number.isNaN(v)) continue;
    lo = Math.min(lo, t(v));
    hi = Math.max(hi, t(v));
  }
  if (opts.min !== undefined) lo = t(opts.min);
  if (opts.max !== undefined) hi = t(opts.max);
  return b.map((v) => (Number.isNaN(v) ? NaN : hi > lo ? Math.min(1, Math.max(0, (t(v) - lo) / (hi - lo))) : 0.5));
}

/**
 * A one-line chart of `values` in eighth-block characters, `▇▅▄▃▂▂▁▁`: each character is the mean
 * of its share of the values (the geometric mean with `log`), scaled between their extremes.
 * Gaps (no usable value) are spaces. An empty input gives ''.
 * @example sparkline(losses, { width: 20, log: true })
 */
export function sparkline(values: ArrayLike<number>, opts: TerminalChartOptions = {}): string {
  const t = normalised(values, opts.width ?? 24, opts);
  let s = '';
  for (const v of t) s += Number.isNaN(v) ? ' ' : BLOCKS[Math.min(7, Math.floor(v * 8))]!;
  return s;
}

/**
 * A small multi-line bar chart (`height` rows, default 6) with eighth-block resolution, and the
 * range's ends labelled on the left: returns the lines, top first.
 * @example console.log(miniChart(losses, { log: true, width: 50 }).join('\n'))
 */
export function miniChart(values: ArrayLike<number>, opts: TerminalChartOptions & { readonly height?: number } = {}): string[] {
  const height = opts.height ?? 6;
  const width = opts.width ?? 60;
  const log = opts.log ?? false;
  const t = normalised(values, width, opts);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v) && (!log || v > 0)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (opts.min !== undefined) lo = opts.min;
  if (opts.max !== undefined) hi = opts.max;
  const fmt = (v: number): string => (Number.isFinite(v) ? v.toExponential(1) : '');
  const labelW = Math.max(fmt(hi).length, fmt(lo).length);
  const lines: string[] = [];
  for (let r = 0; r < height; r++) {
    const floor = (height - 1 - r) * 8; // eighths below this row
    let row = '';
    for (const v of t) {
      if (Number.isNaN(v)) {
        row += ' ';
        continue;
      }
      const e = Math.max(1, Math.round(v * height * 8)); // at least a sliver, so the bottom row shows every value
      row += EIGHTHS[Math.max(0, Math.min(8, e - floor))]!;
    }
    const label = r === 0 ? fmt(hi) : r === height - 1 ? fmt(lo) : '';
    lines.push(`${label.padStart(labelW)} ┤${row}`);
  }
  return lines;
}
