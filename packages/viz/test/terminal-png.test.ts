import { describe, expect, it } from 'vitest';
import { buckets, linePlot, miniChart, sparkline } from '@fluxion/viz';
import { pngSize, svgToPng, writePlot } from '@fluxion/viz/node';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('sparkline', () => {
  it('is `width` block characters, falling with a falling loss (log scale)', () => {
    const losses = Array.from({ length: 1000 }, (_, i) => 10 ** (-5 * (i / 999)));
    const s = sparkline(losses, { width: 20, log: true });
    expect([...s]).toHaveLength(20);
    expect(s[0]).toBe('█');
    expect(s[19]).toBe('▁');
    const levels = [...s].map((c) => '▁▂▃▄▅▆▇█'.indexOf(c));
    for (let i = 1; i < levels.length; i++) expect(levels[i]).toBeLessThanOrEqual(levels[i - 1]!);
    // On a log scale, an exponential decay is a straight staircase: every level is used.
    expect(new Set(levels).size).toBe(8);
  });

  it('uses one character per value for short input, spaces for gaps, and nothing for no input', () => {
    expect(sparkline([1, 2, 3])).toBe('▁▅█');
    expect(sparkline([1, NaN, 3])).toBe('▁ █');
    expect(sparkline([1, -1, 100], { log: true })).toBe('▁ █');
    expect(sparkline([])).toBe('');
    expect(sparkline([2, 2, 2])).toBe('▅▅▅');
  });

  it('honours a fixed range', () => {
    expect(sparkline([0, 5, 10], { min: 0, max: 20 })).toBe('▁▃▅');
  });

  it('buckets by mean (geometric with log)', () => {
    expect([...buckets([1, 3, 10, 1000], 2)]).toEqual([2, 505]);
    expect(buckets([1, 100, 10, 1000], 2, true)[0]).toBeCloseTo(10, 12);
  });
});

describe('miniChart', () => {
  it('draws `height` rows of `width` columns with the range labelled, the tallest column full', () => {
    const lines = miniChart([1, 2, 4, 8, 16], { height: 4, width: 5 });
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^1\.6e\+1 ┤/);
    expect(lines[3]).toMatch(/^1\.0e\+0 ┤/);
    const cols = lines.map((l) => [...l.slice(l.indexOf('┤') + 1)]);
    for (const row of cols) expect(row).toHaveLength(5);
    expect(cols.map((r) => r[4])).toEqual(['█', '█', '█', '█']);
    expect(cols[3]![0]).not.toBe(' '); // the smallest value still shows
    expect(cols[0]![0]).toBe(' ');
  });
});

describe('svgToPng', () => {
  const svg = linePlot([{ name: 'a', x: [0, 1], y: [0, 1] }], { width: 300, height: 200 });
  const isPng = (b: Uint8Array) => [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((v, i) => b[i] === v);

  it('renders valid PNG bytes at the SVG size, a requested width, or a zoom', () => {
    const png = svgToPng(svg);
    expect(isPng(png)).toBe(true);
    expect(pngSize(png)).toEqual({ width: 300, height: 200 });
    expect(pngSize(svgToPng(svg, { width: 900 }))).toEqual({ width: 900, height: 600 });
    expect(pngSize(svgToPng(svg, { scale: 2 }))).toEqual({ width: 600, height: 400 });
    // The PNG ends with an IEND chunk.
    expect(Buffer.from(png.slice(-8, -4)).toString('latin1')).toBe('IEND');
  });

  it('draws something: the picture is not one colour', () => {
    // A 1-pixel-wide plot would be blank; at 300 px the axes and lines are there, so the PNG
    // compresses far worse than a plain white image of the same size.
    const blank = svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"><rect width="300" height="200" fill="#fff"/></svg>');
    expect(svgToPng(svg).length).toBeGreaterThan(blank.length * 5);
  });

  it('throws on malformed SVG; pngSize says null for bytes that are not a PNG', () => {
    expect(() => svgToPng('<svg')).toThrow();
    expect(pngSize(new Uint8Array([1, 2, 3]))).toBeNull();
  });

  it('writePlot writes .svg and .png side by side', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxion-viz-'));
    const paths = writePlot(join(dir, 'p'), svg);
    expect(readFileSync(paths.svg, 'utf8')).toBe(svg);
    expect(pngSize(readFileSync(paths.png))).toEqual({ width: 300, height: 200 });
  });
});
