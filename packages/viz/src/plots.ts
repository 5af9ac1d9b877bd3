/**
 * Plots as pure functions from data to an SVG string: a loss curve on a log axis, line plots
 * with a legend, and filled contours with a colour bar and a path of points on top.
 */
import { extent } from 'd3-array';
import { contours } from 'd3-contour';
import { interpolateViridis } from 'd3-scale-chromatic';
import { line } from 'd3-shape';
import {
  PALETTE,
  axis,
  border,
  bottomAxis,
  clip,
  esc,
  frame,
  grid,
  leftAxis,
  legend,
  linearAxis,
  logAxis,
  n2,
  px,
  svgDocument,
  textWidth,
  title,
  type Axis,
  type AxisKind,
  type Frame,
  type LegendItem,
  type LegendPosition,
  type PlotOptions,
} from './svg.js';

type Pt = readonly [number, number];

/** One decimal: contour paths have many points, and a tenth of a pixel is plenty. */
const n1 = (v: number): string => String(Math.round(v * 10) / 10);

const pathOf = line<Pt>()
  .defined((d) => Number.isFinite(d[0]) && Number.isFinite(d[1]))
  .digits(2);

function checkSameLength(what: string, x: ArrayLike<number>, y: ArrayLike<number>): void {
  if (x.length !== y.length) throw new RangeError(`viz: ${what}: x has ${x.length} values but y has ${y.length}`);
}

// ------------------------------------------------------------------------------------ loss curve

/** Options of `lossCurve`. */
export interface LossCurveOptions extends PlotOptions {
  /** The x value of each loss (default 1, 2, …: the step number). */
  readonly steps?: ArrayLike<number>;
  /**
   * Draw a moving geometric mean over this many steps on top of the raw losses (default: about
   * a hundredth of the run, at least 5; 0 or 1 turns it off).
   */
  readonly smooth?: number;
  /** Label of the raw series in the legend (default 'loss per step'). */
  readonly label?: string;
  readonly legend?: LegendPosition | false;
}

/**
 * Per pixel column, the smallest and the largest value, in the order they occur: the envelope a
 * full-resolution line would draw, in at most 2 × `buckets` points.
 */
export function envelope(x: ArrayLike<number>, y: ArrayLike<number>, buckets: number): Pt[] {
  const n = y.length;
  if (n <= buckets * 2) return Array.from({ length: n }, (_, i) => [x[i]!, y[i]!] as const);
  const out: Pt[] = [];
  for (let b = 0; b < buckets; b++) {
    const i0 = Math.floor((b * n) / buckets);
    const i1 = Math.floor(((b + 1) * n) / buckets);
    let lo = -1;
    let hi = -1;
    for (let i = i0; i < i1; i++) {
      const v = y[i]!;
      if (!Number.isFinite(v)) continue;
      if (lo < 0 || v < y[lo]!) lo = i;
      if (hi < 0 || v > y[hi]!) hi = i;
    }
    if (lo < 0) {
      out.push([x[i0]!, NaN]);
      continue;
    }
    const [a, c] = lo <= hi ? [lo, hi] : [hi, lo];
    out.push([x[a]!, y[a]!]);
    if (c !== a) out.push([x[c]!, y[c]!]);
  }
  return out;
}

/** Centred moving geometric mean over `window` values (non-positive values are skipped). */
export function movingGeometricMean(y: ArrayLike<number>, window: number): Float64Array {
  const n = y.length;
  const logs = new Float64Array(n);
  const ok = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    if (v > 0 && Number.isFinite(v)) {
      logs[i] = Math.log(v);
      ok[i] = 1;
    }
  }
  const half = Math.floor(window / 2);
  const out = new Float64Array(n);
  let s = 0;
  let c = 0;
  let lo = 0;
  let hi = 0; // the window is [lo, hi)
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - half);
    const b = Math.min(n, i - half + window);
    while (hi < b) {
      if (ok[hi]) (s += logs[hi]!), c++;
      hi++;
    }
    while (lo < a) {
      if (ok[lo]) (s -= logs[lo]!), c--;
      lo++;
    }
    out[i] = c > 0 ? Math.exp(s / c) : NaN;
  }
  return out;
}

/**
 * The loss per step on a log y axis, as the seed's `plt.plot(losses); plt.yscale('log')`: the raw
 * losses (their per-pixel envelope, so a long run stays a small file) in a light colour, and a
 * moving geometric mean on top.
 * @throws RangeError when there is no positive, finite loss to draw.
 */
export function lossCurve(losses: ArrayLike<number>, opts: LossCurveOptions = {}): string {
  const n = losses.length;
  const steps = opts.steps ?? Float64Array.from({ length: n }, (_, i) => i + 1);
  checkSameLength('lossCurve', steps, losses);
  const positive = Array.from(losses).filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) throw new RangeError('viz: lossCurve needs at least one positive, finite loss');
  const f = frame(opts.width ?? 640, opts.height ?? 400, { top: opts.title ? 40 : 20, right: 24, bottom: 56, left: 72 });
  const [s0, s1] = extent(Array.from(steps)) as [number, number];
  const x = linearAxis([s0, s1], [f.x0, f.x1], { nice: false });
  const [l0, l1] = extent(positive) as [number, number];
  const y = logAxis([l0, l1], [f.y1, f.y0]);
  const logY = (v: number): number => (v > 0 ? px(y, v) : NaN);
  const buckets = Math.max(1, Math.round(f.x1 - f.x0));
  const raw = envelope(steps, losses, buckets).map(([s, l]) => [px(x, s), logY(l)] as const);
  const window = opts.smooth ?? Math.max(5, Math.round(n / 100));
  const c = clip(f, `${opts.idPrefix ?? 'loss'}-clip`);
  const body: string[] = [c.def, title(f, opts.title), grid(f, x, y)];
  body.push(`<path class="series series-raw" ${c.attr} d="${pathOf(raw) ?? ''}" fill="none" stroke="#9dc3e6" stroke-width="1" stroke-linejoin="round"/>`);
  const items: LegendItem[] = [{ label: opts.label ?? 'loss per step', color: '#9dc3e6', width: 1.5 }];
  if (window > 1 && n > window) {
    const m = movingGeometricMean(losses, window);
    const every = Math.max(1, Math.floor(n / (buckets * 2)));
    const pts: Pt[] = [];
    for (let i = 0; i < n; i += every) pts.push([px(x, steps[i]!), logY(m[i]!)]);
    if ((n - 1) % every !== 0) pts.push([px(x, steps[n - 1]!), logY(m[n - 1]!)]);
    body.push(`<path class="series series-smooth" ${c.attr} d="${pathOf(pts) ?? ''}" fill="none" stroke="#1f4e89" stroke-width="1.75" stroke-linejoin="round"/>`);
    items.push({ label: `moving mean of ${window} steps`, color: '#1f4e89', width: 2 });
  }
  body.push(border(f), bottomAxis(f, x, opts.xLabel ?? 'step'), leftAxis(f, y, opts.yLabel ?? 'loss (log scale)'));
  if (opts.legend !== false) body.push(legend(f, items, opts.legend ?? 'top-right'));
  return svgDocument(f, body);
}

// ------------------------------------------------------------------------------------ line plot

/** One line of a `linePlot`. */
export interface Series {
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  /** CSS colour (default: the next of Tableau 10). */
  readonly color?: string;
  /** stroke-dasharray, e.g. '6 4'. */
  readonly dash?: string;
  /** Stroke width (default 2). */
  readonly width?: number;
  /** Draw a dot at each point as well (default false). */
  readonly points?: boolean;
}

/** Options of `linePlot`. */
export interface LinePlotOptions extends PlotOptions {
  readonly xDomain?: readonly [number, number];
  readonly yDomain?: readonly [number, number];
  readonly xScale?: AxisKind;
  readonly yScale?: AxisKind;
  /** Corner of the legend (default 'top-left'), or false for none. */
  readonly legend?: LegendPosition | false;
}

/**
 * Lines through (x, y) points with a legend naming each series, e.g. exp(x) beside the model:
 * `linePlot([{ name: 'exp(x)', x, y: ex }, { name: 'model', x, y: pred }])`.
 * @throws RangeError for a series whose x and y differ in length, or no series.
 */
export function linePlot(series: readonly Series[], opts: LinePlotOptions = {}): string {
  if (series.length === 0) throw new RangeError('viz: linePlot needs at least one series');
  for (const s of series) checkSameLength(`linePlot series '${s.name}'`, s.x, s.y);
  const f = frame(opts.width ?? 640, opts.height ?? 400, { top: opts.title ? 40 : 20, right: 24, bottom: 56, left: 72 });
  const finite = (a: ArrayLike<number>, log: boolean): number[] => Array.from(a).filter((v) => Number.isFinite(v) && (!log || v > 0));
  const xKind = opts.xScale ?? 'linear';
  const yKind = opts.yScale ?? 'linear';
  const xs = series.flatMap((s) => finite(s.x, xKind === 'log'));
  const ys = series.flatMap((s) => finite(s.y, yKind === 'log'));
  if (xs.length === 0 || ys.length === 0) throw new RangeError('viz: linePlot has no finite point to draw');
  const xd = opts.xDomain ?? (extent(xs) as [number, number]);
  const yd = opts.yDomain ?? (extent(ys) as [number, number]);
  const x = axis(xKind, xd, [f.x0, f.x1], { nice: opts.xDomain === undefined });
  const y = axis(yKind, yd, [f.y1, f.y0], { nice: opts.yDomain === undefined });
  const c = clip(f, `${opts.idPrefix ?? 'lines'}-clip`);
  const body: string[] = [c.def, title(f, opts.title), grid(f, x, y)];
  const items: LegendItem[] = [];
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const pts: Pt[] = Array.from({ length: s.x.length }, (_, j) => [px(x, s.x[j]!), px(y, s.y[j]!)] as const);
    const dash = s.dash ? ` stroke-dasharray="${esc(s.dash)}"` : '';
    body.push(
      `<path class="series" data-name="${esc(s.name)}" ${c.attr} d="${pathOf(pts) ?? ''}" fill="none" stroke="${esc(color)}" stroke-width="${s.width ?? 2}"${dash} stroke-linejoin="round" stroke-linecap="round"/>`,
    );
    if (s.points) {
      body.push(`<g class="series-points" ${c.attr} fill="${esc(color)}">`);
      for (const [a, b] of pts) if (Number.isFinite(a) && Number.isFinite(b)) body.push(`<circle cx="${n2(a)}" cy="${n2(b)}" r="2.5"/>`);
      body.push('</g>');
    }
    items.push({ label: s.name, color, ...(s.dash ? { dash: s.dash } : {}), width: s.width ?? 2 });
  });
  body.push(border(f), bottomAxis(f, x, opts.xLabel), leftAxis(f, y, opts.yLabel));
  if (opts.legend !== false) body.push(legend(f, items, opts.legend ?? 'top-left'));
  return svgDocument(f, body);
}

// ------------------------------------------------------------------------------------ contours

/**
 * Values of f on a regular grid: `values[j * nx + i] = f(x_i, y_j)` where x_i runs from x[0] to
 * x[1] in nx steps and y_j from y[0] to y[1] in ny steps (as numpy's `Z[b, w]` with meshgrid).
 */
export interface Grid {
  readonly values: ArrayLike<number>;
  readonly nx: number;
  readonly ny: number;
  readonly x: readonly [number, number];
  readonly y: readonly [number, number];
}

/** Evaluates `f` on an nx × ny grid over [x0, x1] × [y0, y1]. */
export function gridOf(f: (x: number, y: number) => number, x: readonly [number, number], y: readonly [number, number], nx: number, ny = nx): Grid {
  if (!(Number.isInteger(nx) && nx >= 2 && Number.isInteger(ny) && ny >= 2)) throw new RangeError(`viz: a grid needs at least 2 × 2 points, got ${nx} × ${ny}`);
  const values = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    const yj = y[0] + ((y[1] - y[0]) * j) / (ny - 1);
    for (let i = 0; i < nx; i++) values[j * nx + i] = f(x[0] + ((x[1] - x[0]) * i) / (nx - 1), yj);
  }
  return { values, nx, ny, x, y };
}

/** A point on top of the contours, labelled (e.g. the minimum). */
export interface Marker {
  readonly x: number;
  readonly y: number;
  readonly label?: string;
  readonly color?: string;
}

/** Options of `contourPlot`. */
export interface ContourOptions extends PlotOptions {
  /** Number of filled bands (default 24), or the level values themselves (ascending). */
  readonly levels?: number | readonly number[];
  /** How levels and colours are spaced (default 'linear'; 'log' for values over decades). */
  readonly scale?: AxisKind;
  /** Colour at t ∈ [0, 1] (default viridis, as matplotlib). */
  readonly colors?: (t: number) => string;
  /** Clamp the colour range (matplotlib's vmin/vmax); default: the data's extent. */
  readonly vmin?: number;
  readonly vmax?: number;
  /** Points drawn on top as white dots (an optimizer's path). */
  readonly path?: { readonly x: ArrayLike<number>; readonly y: ArrayLike<number> };
  /** Legend label of the path (default: no legend). */
  readonly pathLabel?: string;
  readonly markers?: readonly Marker[];
  readonly colorBarLabel?: string;
}

/**
 * Filled contours of a function on a grid (d3-contour's marching squares), a colour bar, and an
 * optional path of white points on top, as the seed's `plt.contourf(W, B, Z); plt.colorbar();
 * plt.plot(ws, bs, 'o', color='white')`.
 * @throws RangeError for a grid whose size does not match its values, or bad levels.
 */
export function contourPlot(g: Grid, opts: ContourOptions = {}): string {
  const { nx, ny } = g;
  if (g.values.length !== nx * ny) throw new RangeError(`viz: contourPlot: a ${nx} × ${ny} grid needs ${nx * ny} values, got ${g.values.length}`);
  if (nx < 2 || ny < 2) throw new RangeError(`viz: contourPlot needs at least 2 × 2 grid points, got ${nx} × ${ny}`);
  const kind = opts.scale ?? 'linear';
  const log = kind === 'log';
  const usable = Array.from(g.values).filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (usable.length === 0) throw new RangeError('viz: contourPlot has no finite value' + (log ? ' above 0' : ''));
  const [dmin, dmax] = extent(usable) as [number, number];
  const vmin = opts.vmin ?? dmin;
  let vmax = opts.vmax ?? dmax;
  if (!(vmax > vmin)) vmax = vmin + (vmin === 0 ? 1 : Math.abs(vmin) * 1e-6);
  if (log && !(vmin > 0)) throw new RangeError(`viz: contourPlot with scale 'log' needs vmin > 0, got ${vmin}`);
  const tOf = log ? (v: number) => (Math.log(v) - Math.log(vmin)) / (Math.log(vmax) - Math.log(vmin)) : (v: number) => (v - vmin) / (vmax - vmin);
  const vOf = log ? (t: number) => Math.exp(Math.log(vmin) + t * (Math.log(vmax) - Math.log(vmin))) : (t: number) => vmin + t * (vmax - vmin);
  let levels: number[];
  if (typeof opts.levels === 'object') {
    levels = [...opts.levels];
    for (let i = 1; i < levels.length; i++) if (!(levels[i]! > levels[i - 1]!)) throw new RangeError('viz: contourPlot levels must be ascending');
    if (levels.length === 0) throw new RangeError('viz: contourPlot needs at least one level');
  } else {
    const count = opts.levels ?? 24;
    if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`viz: contourPlot levels must be a positive integer, got ${count}`);
    levels = Array.from({ length: count }, (_, k) => vOf(k / count));
  }
  const colors = opts.colors ?? interpolateViridis;
  // Band k covers [levels[k], levels[k + 1]) (the last one up to vmax and beyond); its colour is
  // the one at its middle, as matplotlib's contourf.
  const bandColor = (k: number): string => {
    const a = tOf(levels[k]!);
    const b = k + 1 < levels.length ? tOf(levels[k + 1]!) : 1;
    return colors(Math.min(1, Math.max(0, (a + Math.max(a, b)) / 2)));
  };

  const f = frame(opts.width ?? 560, opts.height ?? 480, { top: opts.title ? 40 : 20, right: 96, bottom: 56, left: 68 });
  const x = linearAxis(g.x, [f.x0, f.x1], { nice: false });
  const y = linearAxis(g.y, [f.y1, f.y0], { nice: false });
  // Contours on log values when the scale is log, so that interpolation between grid points follows it.
  const tr = log ? (v: number) => Math.log(Math.max(v, Number.MIN_VALUE)) : (v: number) => v;
  const field = Array.from(g.values, (v) => (Number.isFinite(v) ? tr(v) : NaN));
  const polys = contours()
    .size([nx, ny])
    .thresholds(levels.map(tr))(field);
  // d3-contour puts grid point (i, j) at (i + 0.5, j + 0.5).
  const gx = (c: number): number => px(x, g.x[0] + ((c - 0.5) * (g.x[1] - g.x[0])) / (nx - 1));
  const gy = (c: number): number => px(y, g.y[0] + ((c - 0.5) * (g.y[1] - g.y[0])) / (ny - 1));
  const c = clip(f, `${opts.idPrefix ?? 'contour'}-clip`);
  const body: string[] = [c.def, title(f, opts.title)];
  // Below the lowest level: the lowest band's colour.
  body.push(`<rect class="contour-background" x="${n2(f.x0)}" y="${n2(f.y0)}" width="${n2(f.x1 - f.x0)}" height="${n2(f.y1 - f.y0)}" fill="${bandColor(0)}"/>`);
  body.push(`<g class="contours" ${c.attr} stroke-width="0.5" stroke-linejoin="round">`);
  polys.forEach((mp, k) => {
    if (mp.coordinates.length === 0) return;
    const d = mp.coordinates
      .map((poly) => poly.map((ring) => 'M' + ring.map((p) => `${n1(gx(p[0]!))},${n1(gy(p[1]!))}`).join('L') + 'Z').join(''))
      .join('');
    const col = bandColor(k);
    // A hairline of the same colour hides the seams between bands that anti-aliasing shows.
    body.push(`<path class="contour" data-level="${levels[k]}" d="${d}" fill="${col}" stroke="${col}"/>`);
  });
  body.push('</g>');

  if (opts.path) {
    checkSameLength('contourPlot path', opts.path.x, opts.path.y);
    body.push(`<g class="path" ${c.attr} fill="#ffffff" stroke="#000000" stroke-opacity="0.35" stroke-width="0.6">`);
    for (let i = 0; i < opts.path.x.length; i++) {
      const a = px(x, opts.path.x[i]!);
      const b = px(y, opts.path.y[i]!);
      if (Number.isFinite(a) && Number.isFinite(b)) body.push(`<circle class="path-point" cx="${n2(a)}" cy="${n2(b)}" r="2.6"/>`);
    }
    body.push('</g>');
  }
  for (const m of opts.markers ?? []) {
    const a = px(x, m.x);
    const b = px(y, m.y);
    const col = m.color ?? '#ff4f4f';
    body.push(
      `<g class="marker" transform="translate(${n2(a)},${n2(b)})"><path d="M-5,-5L5,5M-5,5L5,-5" stroke="#000" stroke-opacity="0.5" stroke-width="4"/><path d="M-5,-5L5,5M-5,5L5,-5" stroke="${esc(col)}" stroke-width="2.2"/>` +
        (m.label ? `<text x="8" y="-8" fill="#ffffff" stroke="#000" stroke-opacity="0.55" stroke-width="2.5" paint-order="stroke" font-size="12">${esc(m.label)}</text>` : '') +
        '</g>',
    );
  }
  body.push(border(f), bottomAxis(f, x, opts.xLabel), leftAxis(f, y, opts.yLabel));
  body.push(colorBar(f, levels, vmin, vmax, kind, bandColor, opts.colorBarLabel));
  if (opts.path && opts.pathLabel) body.push(legend(f, [{ label: opts.pathLabel, color: '#ffffff', symbol: 'point' }], 'top-right', { dark: true }));
  return svgDocument(f, body);
}

/** The colour bar right of the plot area: one rect per band and an axis of values. */
function colorBar(f: Frame, levels: readonly number[], vmin: number, vmax: number, kind: AxisKind, bandColor: (k: number) => string, label: string | undefined): string {
  const bx = f.x1 + 16;
  const bw = 16;
  const a: Axis = kind === 'log' ? logAxis([vmin, vmax], [f.y1, f.y0], { exact: true }) : linearAxis([vmin, vmax], [f.y1, f.y0], { nice: false, ticks: 6 });
  const out: string[] = ['<g class="colorbar">'];
  const pos = (v: number): number => Math.min(f.y1, Math.max(f.y0, px(a, v)));
  levels.forEach((lv, k) => {
    const top = k + 1 < levels.length ? pos(levels[k + 1]!) : f.y0;
    const bottom = k === 0 ? f.y1 : pos(lv);
    if (bottom - top <= 0) return;
    // Overlap by half a pixel so the bands show no seams.
    out.push(`<rect x="${n2(bx)}" y="${n2(top - 0.5)}" width="${bw}" height="${n2(bottom - top + 0.5)}" fill="${bandColor(k)}"/>`);
  });
  out.push(`<rect x="${n2(bx)}" y="${n2(f.y0)}" width="${bw}" height="${n2(f.y1 - f.y0)}" fill="none" stroke="#333"/>`);
  for (const v of a.minor) out.push(`<line class="tick minor" x1="${n2(bx + bw)}" x2="${n2(bx + bw + 3)}" y1="${n2(px(a, v))}" y2="${n2(px(a, v))}" stroke="#333"/>`);
  for (const v of a.major) {
    const yv = n2(px(a, v));
    out.push(
      `<g class="tick" data-value="${v}"><line x1="${n2(bx + bw)}" x2="${n2(bx + bw + 5)}" y1="${yv}" y2="${yv}" stroke="#333"/>` +
        `<text x="${n2(bx + bw + 8)}" y="${yv}" dy="0.35em" fill="#333">${esc(a.format(v))}</text></g>`,
    );
  }
  if (label) {
    const lx = n2(Math.min(f.width - 8, bx + bw + 14 + Math.max(...a.major.map((v) => textWidth(a.format(v))), 0) + 6));
    out.push(`<text class="axis-label" transform="translate(${lx},${n2((f.y0 + f.y1) / 2)}) rotate(90)" text-anchor="middle" font-size="13" fill="#333">${esc(label)}</text>`);
  }
  out.push('</g>');
  return out.join('\n');
}
