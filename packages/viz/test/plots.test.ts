import { describe, expect, it } from 'vitest';
import { contourPlot, envelope, gridOf, linePlot, lossCurve, movingGeometricMean, powerOfTen } from '@fluxion/viz';
import { svgToPng } from '@fluxion/viz/node';

const count = (s: string, re: RegExp): number => (s.match(re) ?? []).length;
const tickValues = (axisSvg: string): number[] => [...axisSvg.matchAll(/<g class="tick" data-value="([^"]+)"/g)].map((m) => Number(m[1]));
const axisOf = (svg: string, which: 'x' | 'y'): string => {
  const m = new RegExp(`<g class="axis axis-${which}[^"]*"[^>]*>([\\s\\S]*?)\\n</g>`).exec(svg);
  if (!m) throw new Error(`no ${which} axis`);
  return m[0];
};
/** Points of a path's d attribute (M/L commands). */
const pathPoints = (d: string): [number, number][] => [...d.matchAll(/[ML]([-\d.e]+),([-\d.e]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);

/** resvg parses the SVG (it throws on malformed XML) and renders it. */
const renders = (svg: string): boolean => svgToPng(svg, { width: 64 }).length > 100;

describe('lossCurve', () => {
  const losses = Array.from({ length: 5000 }, (_, i) => 2 * Math.exp(-i / 500) * (1 + 0.3 * Math.sin(i * 1.7)) + 1e-5);
  const svg = lossCurve(losses, { title: 'loss' });

  it('has a linear x axis labelled step and a log y axis labelled loss, with decade ticks 10ⁿ covering the data', () => {
    const x = axisOf(svg, 'x');
    const y = axisOf(svg, 'y');
    expect(x).toContain('axis-linear');
    expect(x).toContain('>step</text>');
    expect(y).toContain('axis-log');
    expect(y).toMatch(/>loss[^<]*<\/text>/);
    const ticks = tickValues(y);
    // 1e-5 … 2.6: the axis spans whole decades 10⁻⁵ … 10¹.
    expect(ticks).toEqual([1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10].map((v) => expect.closeTo(v, 12)));
    expect(y).toContain('>10⁻³</text>');
    expect(y).toContain('>10⁰</text>');
    expect(count(y, /class="tick minor"/g)).toBe(6 * 8); // 2…9 in each of the six decades
    expect(tickValues(x).length).toBeGreaterThanOrEqual(4);
    expect(renders(svg)).toBe(true);
  });

  it('draws the raw losses as a per-pixel envelope and a moving mean, with a two-entry legend', () => {
    const raw = /class="series series-raw"[^>]* d="([^"]*)"/.exec(svg)![1]!;
    const smooth = /class="series series-smooth"[^>]* d="([^"]*)"/.exec(svg)![1]!;
    const plotWidth = 640 - 72 - 24;
    expect(pathPoints(raw).length).toBeLessThanOrEqual(2 * plotWidth);
    expect(pathPoints(raw).length).toBeGreaterThan(plotWidth);
    expect(pathPoints(smooth).length).toBeGreaterThan(100);
    const legend = svg.slice(svg.indexOf('<g class="legend"'));
    expect(count(legend, /class="legend-item"/g)).toBe(2);
    expect(legend).toContain('loss per step');
    expect(legend).toContain('moving mean of 50 steps');
  });

  it('skips non-positive and non-finite losses, and refuses a run with none to draw', () => {
    expect(renders(lossCurve([1, 0, NaN, 0.1, Infinity, 0.01]))).toBe(true);
    expect(() => lossCurve([0, -1, NaN])).toThrow(RangeError);
    expect(() => lossCurve([1, 2], { steps: [1] })).toThrow(/x has 1 values but y has 2/);
  });

  it('labels powers of ten with superscripts', () => {
    expect(powerOfTen(-12)).toBe('10⁻¹²');
    expect(powerOfTen(3)).toBe('10³');
  });
});

describe('envelope and movingGeometricMean', () => {
  it('keeps the extremes of each bucket in order of occurrence', () => {
    const y = [5, 1, 9, 3, 2, 8, 7, 4];
    const x = y.map((_, i) => i);
    expect(envelope(x, y, 2)).toEqual([
      [1, 1],
      [2, 9],
      [4, 2],
      [5, 8],
    ]);
    expect(envelope(x, y, 4)).toHaveLength(8); // short input: every point
  });

  it('is the geometric mean over a centred window', () => {
    const m = movingGeometricMean([1, 100, 10000, 100, 1], 3);
    expect(m[1]).toBeCloseTo(100, 9);
    expect(m[2]).toBeCloseTo(Math.cbrt(1e8), 6);
    expect(m[0]).toBeCloseTo(10, 9); // window clipped at the edge: 1 and 100
  });
});

describe('linePlot', () => {
  const x = Array.from({ length: 100 }, (_, i) => i / 99);
  const svg = linePlot(
    [
      { name: 'exp(x)', x, y: x.map(Math.exp) },
      { name: 'model', x, y: x.map((v) => 1 + 1.7 * v), dash: '6 4' },
    ],
    { xLabel: 'x', yLabel: 'y', title: 'fit' },
  );

  it('draws one path per series through every point, and a legend naming each', () => {
    const paths = [...svg.matchAll(/<path class="series" data-name="([^"]+)"[^>]* d="([^"]*)"/g)];
    expect(paths.map((m) => m[1])).toEqual(['exp(x)', 'model']);
    for (const m of paths) expect(pathPoints(m[2]!)).toHaveLength(100);
    const legend = svg.slice(svg.indexOf('<g class="legend"'));
    expect(count(legend, /class="legend-item"/g)).toBe(2);
    expect(legend).toContain('>exp(x)</text>');
    expect(legend).toContain('>model</text>');
    expect(legend).toContain('stroke-dasharray="6 4"');
    expect(svg).toContain('class="title"');
    expect(renders(svg)).toBe(true);
  });

  it('puts the points where the axes say: x = 0 at the left edge, x = 1 at the right', () => {
    const d = /data-name="exp\(x\)"[^>]* d="([^"]*)"/.exec(svg)![1]!;
    const pts = pathPoints(d);
    expect(pts[0]![0]).toBeCloseTo(72, 1);
    expect(pts[99]![0]).toBeCloseTo(640 - 24, 1);
    // y grows upwards: exp(1) is above exp(0).
    expect(pts[99]![1]).toBeLessThan(pts[0]![1]);
    expect(tickValues(axisOf(svg, 'x'))).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1].map((v) => expect.closeTo(v, 12)));
  });

  it('refuses series with mismatched lengths and empty input', () => {
    expect(() => linePlot([{ name: 'a', x: [1, 2], y: [1] }])).toThrow(/series 'a'/);
    expect(() => linePlot([])).toThrow(RangeError);
  });
});

describe('contourPlot', () => {
  const bowl = gridOf((w, b) => (w - 1) ** 2 + 0.5 * (b - 1) ** 2 + 0.01, [-1, 3], [-1, 3], 41);

  it('fills one contour path per level that the data reaches, and draws a colour bar with one band per level', () => {
    const svg = contourPlot(bowl, { levels: 12, xLabel: 'W', yLabel: 'b', colorBarLabel: 'loss' });
    expect(count(svg, /<path class="contour"/g)).toBe(12);
    const bar = svg.slice(svg.indexOf('<g class="colorbar"'));
    expect(count(bar.slice(0, bar.indexOf('class="tick')), /<rect /g)).toBe(12 + 1); // bands + outline
    expect(axisOf(svg, 'x')).toContain('>W</text>');
    expect(axisOf(svg, 'y')).toContain('>b</text>');
    expect(bar).toContain('>loss</text>');
    expect(renders(svg)).toBe(true);
  });

  it('spaces levels by decades with scale log and labels the colour bar in powers of ten', () => {
    const svg = contourPlot(bowl, { levels: 20, scale: 'log', vmin: 0.01, vmax: 10 });
    const levels = [...svg.matchAll(/class="contour" data-level="([^"]+)"/g)].map((m) => Number(m[1]));
    // Levels 10^(-2 + 3k/20); the bowl's largest value is 6.01, so the top level (10^0.85 ≈ 7.1)
    // encloses nothing and has no path.
    expect(levels).toHaveLength(19);
    expect(levels[0]).toBeCloseTo(0.01, 12);
    expect(Math.log10(levels[10]!)).toBeCloseTo(-0.5, 9);
    const bar = svg.slice(svg.indexOf('<g class="colorbar"'));
    expect(tickValues(bar)).toEqual([0.01, 0.1, 1, 10].map((v) => expect.closeTo(v, 12)));
    expect(bar).toContain('>10⁻²</text>');
  });

  it('puts contour lines where the function crosses the level (grid points are cell centres)', () => {
    // f(x, y) = x on [0, 1]²: the region x ≥ 0.5 starts at the pixel of x = 0.5.
    const g = gridOf((x) => x, [0, 1], [0, 1], 11);
    const svg = contourPlot(g, { levels: [0, 0.5], width: 400, height: 300 });
    const d = [...svg.matchAll(/class="contour" data-level="0.5" d="([^"]*)"/g)][0]![1]!;
    const xs = pathPoints(d).map((p) => p[0]);
    const x0 = 68;
    const x1 = 400 - 96;
    expect(Math.min(...xs)).toBeCloseTo(x0 + 0.5 * (x1 - x0), 0);
  });

  it('overlays the path as one white point per (x, y), at the right pixels', () => {
    const path = { x: [0, 1, 2, 3], y: [0, 0.5, 1, 1.5] };
    const svg = contourPlot(bowl, { path, pathLabel: 'SGD' });
    const pts = [...svg.matchAll(/<circle class="path-point" cx="([^"]+)" cy="([^"]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(pts).toHaveLength(4);
    const group = /<g class="path"[^>]*>/.exec(svg)![0];
    expect(group).toContain('fill="#ffffff"');
    // W = -1 … 3 spans x 68 … 464 (560 − 96); b = -1 … 3 spans y 424 … 20 (480 − 56 … 20).
    expect(pts[0]![0]).toBeCloseTo(68 + (1 / 4) * (464 - 68), 1);
    expect(pts[3]![0]).toBeCloseTo(464, 1);
    expect(pts[0]![1]).toBeCloseTo(424 - (1 / 4) * (424 - 20), 1);
    expect(svg).toContain('>SGD</text>');
  });

  it('refuses a grid whose values do not match its size, and descending levels', () => {
    expect(() => contourPlot({ values: [1, 2, 3], nx: 2, ny: 2, x: [0, 1], y: [0, 1] })).toThrow(/needs 4 values, got 3/);
    expect(() => contourPlot(bowl, { levels: [1, 0.5] })).toThrow(/ascending/);
    expect(() => contourPlot(gridOf(() => -1, [0, 1], [0, 1], 3), { scale: 'log' })).toThrow(RangeError);
  });
});
