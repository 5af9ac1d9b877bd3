/**
 * SVG building blocks shared by the plots: the document, axes (linear and log), legends. Plain
 * string building on d3's scales: no DOM, so it runs the same in Node and in a browser.
 */
import { scaleLinear, scaleLog, type ScaleLinear, type ScaleLogarithmic } from 'd3-scale';

/** Fonts tried in order; the first is on every Debian machine (fonts-dejavu-core). */
export const FONT_FAMILY = "'DejaVu Sans', 'Helvetica Neue', Helvetica, Arial, sans-serif";

/** Tableau 10, d3's `schemeTableau10` (repeated here so the default colours are visible at a glance). */
export const PALETTE: readonly string[] = [
  '#4e79a7',
  '#e15759',
  '#f28e2c',
  '#59a14f',
  '#76b7b2',
  '#edc949',
  '#af7aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ab',
];

export type AxisKind = 'linear' | 'log';
export type LegendPosition = 'top-right' | 'top-left' | 'bottom-right' | 'bottom-left';

/** Options every plot takes. */
export interface PlotOptions {
  /** Size of the SVG in px (defaults depend on the plot). */
  readonly width?: number;
  readonly height?: number;
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Prefix of the ids inside the SVG (clip paths), for pages that inline several plots. */
  readonly idPrefix?: string;
}

export interface Margin {
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly left: number;
}

/** Where the plot area sits inside the SVG. */
export interface Frame {
  readonly width: number;
  readonly height: number;
  readonly margin: Margin;
  /** The plot area: x from `x0` to `x1`, y from `y0` (top) to `y1` (bottom), in px. */
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}

export function frame(width: number, height: number, margin: Margin): Frame {
  if (!(width > 0 && height > 0)) throw new RangeError(`viz: width and height must be positive, got ${width}×${height}`);
  const x0 = margin.left;
  const x1 = width - margin.right;
  const y0 = margin.top;
  const y1 = height - margin.bottom;
  if (!(x1 > x0 && y1 > y0)) throw new RangeError(`viz: a ${width}×${height} plot leaves no room inside its margins`);
  return { width, height, margin, x0, x1, y0, y1 };
}

/** Escapes text for SVG content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A coordinate with at most two decimals, no trailing zeros. */
export function n2(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

/** The whole document: white background, default font, then `body`. */
export function svgDocument(f: Frame, body: readonly string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="${esc(FONT_FAMILY)}" font-size="12">`,
    `<rect class="background" width="${f.width}" height="${f.height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

export function title(f: Frame, text: string | undefined): string {
  if (!text) return '';
  return `<text class="title" x="${n2((f.x0 + f.x1) / 2)}" y="${n2(f.margin.top / 2 + 5)}" text-anchor="middle" font-size="15" font-weight="bold" fill="#222">${esc(text)}</text>`;
}

/** A clip path for the plot area; returns its definition and the attribute that uses it. */
export function clip(f: Frame, id: string): { def: string; attr: string } {
  return {
    def: `<defs><clipPath id="${esc(id)}"><rect x="${n2(f.x0)}" y="${n2(f.y0)}" width="${n2(f.x1 - f.x0)}" height="${n2(f.y1 - f.y0)}"/></clipPath></defs>`,
    attr: `clip-path="url(#${esc(id)})"`,
  };
}

// ------------------------------------------------------------------------------------ scales

export type Scale = ScaleLinear<number, number> | ScaleLogarithmic<number, number>;

export interface Axis {
  readonly kind: AxisKind;
  readonly scale: Scale;
  /** Labelled ticks. */
  readonly major: readonly number[];
  /** Unlabelled ticks (log axes: 2…9 × 10^k). */
  readonly minor: readonly number[];
  readonly format: (v: number) => string;
}

const SUPERSCRIPT: Readonly<Record<string, string>> = {
  '-': '⁻',
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
};

/** 10^e as text: `10⁻³`. */
export function powerOfTen(e: number): string {
  return '10' + [...String(e)].map((c) => SUPERSCRIPT[c] ?? c).join('');
}

/** A short label for a tick value: up to 4 significant digits, no trailing zeros, a real minus sign. */
export function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  let s: string;
  if (a >= 1e5 || a < 1e-3) s = v.toExponential(1).replace(/\.0e/, 'e');
  else s = String(Number(v.toPrecision(4)));
  return s.replace('-', '−');
}

/** A linear axis over `domain` (made nice unless `nice` is false) mapped onto `range`. */
export function linearAxis(domain: readonly [number, number], range: readonly [number, number], opts: { ticks?: number; nice?: boolean } = {}): Axis {
  let [a, b] = domain;
  if (!(Number.isFinite(a) && Number.isFinite(b))) throw new RangeError(`viz: axis domain must be finite, got [${a}, ${b}]`);
  if (a === b) {
    const pad = a === 0 ? 1 : Math.abs(a) * 0.1;
    a -= pad;
    b += pad;
  }
  const count = opts.ticks ?? 6;
  const scale = scaleLinear().domain([a, b]).range([range[0], range[1]]);
  // Round the ends to a finer step than the labels use, so that little space is wasted.
  if (opts.nice !== false) scale.nice(count * 2);
  const major = scale.ticks(count);
  return { kind: 'linear', scale, major, minor: [], format: formatNumber };
}

/**
 * A log10 axis: the domain widens to whole decades, labelled 10ⁿ, with minor ticks at 2…9 × 10ⁿ.
 * A domain inside one decade keeps its extent and labels d3's ticks instead.
 */
export function logAxis(domain: readonly [number, number], range: readonly [number, number], opts: { exact?: boolean } = {}): Axis {
  const [a, b] = domain;
  if (!(a > 0 && b > 0 && Number.isFinite(a) && Number.isFinite(b))) {
    throw new RangeError(`viz: a log axis needs a positive, finite domain, got [${a}, ${b}]`);
  }
  const dlo = Math.min(a, b);
  const dhi = Math.max(a, b);
  let lo = Math.floor(Math.log10(dlo) + 1e-9);
  let hi = Math.ceil(Math.log10(dhi) - 1e-9);
  if (hi === lo) hi = lo + 1;
  if (hi - lo > 12) lo = hi - 12; // keep a readable axis; smaller values are clipped
  const scale = scaleLog()
    .domain(opts.exact ? [dlo, dhi] : [10 ** lo, 10 ** hi])
    .range([range[0], range[1]]);
  const step = Math.ceil((hi - lo) / 8); // at most ~8 labelled decades
  let major: number[] = [];
  let minor: number[] = [];
  for (let e = lo; e <= hi; e++) {
    if ((e - lo) % step === 0) major.push(10 ** e);
    else minor.push(10 ** e);
    if (e < hi && step === 1) for (let m = 2; m <= 9; m++) minor.push(m * 10 ** e);
  }
  if (opts.exact) {
    const inside = (v: number): boolean => v >= dlo * (1 - 1e-9) && v <= dhi * (1 + 1e-9);
    major = major.filter(inside);
    minor = minor.filter(inside);
    if (major.length < 2) {
      // Less than two decades shown: label 1-2-5 steps as well.
      const extra = minor.filter((v) => [1, 2, 5].includes(Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9))));
      major = [...major, ...extra].sort((x, y) => x - y);
      minor = minor.filter((v) => !extra.includes(v));
    }
  }
  const format = (v: number): string => {
    const e = Math.round(Math.log10(v));
    return Math.abs(v - 10 ** e) <= 1e-9 * v ? powerOfTen(e) : formatNumber(v);
  };
  return { kind: 'log', scale, major, minor, format };
}

export function axis(kind: AxisKind, domain: readonly [number, number], range: readonly [number, number], opts: { ticks?: number; nice?: boolean } = {}): Axis {
  return kind === 'log' ? logAxis(domain, range) : linearAxis(domain, range, opts);
}

export const px = (a: Axis, v: number): number => a.scale(v) as number;

// ------------------------------------------------------------------------------------ axes

/** Grid lines at the major (and, faint, minor) ticks of both axes. */
export function grid(f: Frame, x: Axis, y: Axis): string {
  const out: string[] = ['<g class="grid" stroke-width="1" fill="none">'];
  for (const v of x.minor) out.push(`<line x1="${n2(px(x, v))}" x2="${n2(px(x, v))}" y1="${f.y0}" y2="${f.y1}" stroke="#f2f2f2"/>`);
  for (const v of y.minor) out.push(`<line x1="${f.x0}" x2="${f.x1}" y1="${n2(px(y, v))}" y2="${n2(px(y, v))}" stroke="#f2f2f2"/>`);
  for (const v of x.major) out.push(`<line x1="${n2(px(x, v))}" x2="${n2(px(x, v))}" y1="${f.y0}" y2="${f.y1}" stroke="#e3e3e3"/>`);
  for (const v of y.major) out.push(`<line x1="${f.x0}" x2="${f.x1}" y1="${n2(px(y, v))}" y2="${n2(px(y, v))}" stroke="#e3e3e3"/>`);
  out.push('</g>');
  return out.join('\n');
}

/** The frame around the plot area. */
export function border(f: Frame): string {
  return `<rect class="plot-area" x="${n2(f.x0)}" y="${n2(f.y0)}" width="${n2(f.x1 - f.x0)}" height="${n2(f.y1 - f.y0)}" fill="none" stroke="#333" stroke-width="1"/>`;
}

const inDomain = (a: Axis, v: number): boolean => {
  const [d0, d1] = a.scale.domain() as [number, number];
  const lo = Math.min(d0, d1);
  const hi = Math.max(d0, d1);
  const eps = (hi - lo) * 1e-9;
  return v >= lo - eps && v <= hi + eps;
};

/** Ticks and labels below the plot area, and the axis title. */
export function bottomAxis(f: Frame, a: Axis, label: string | undefined): string {
  const out: string[] = [`<g class="axis axis-x axis-${a.kind}" fill="#333">`];
  for (const v of a.minor.filter((v) => inDomain(a, v))) {
    out.push(`<line class="tick minor" x1="${n2(px(a, v))}" x2="${n2(px(a, v))}" y1="${f.y1}" y2="${f.y1 + 3}" stroke="#333"/>`);
  }
  for (const v of a.major.filter((v) => inDomain(a, v))) {
    const x = n2(px(a, v));
    out.push(
      `<g class="tick" data-value="${v}"><line x1="${x}" x2="${x}" y1="${f.y1}" y2="${f.y1 + 5}" stroke="#333"/>` +
        `<text x="${x}" y="${f.y1 + 18}" text-anchor="middle">${esc(a.format(v))}</text></g>`,
    );
  }
  if (label) out.push(`<text class="axis-label" x="${n2((f.x0 + f.x1) / 2)}" y="${n2(f.y1 + 38)}" text-anchor="middle" font-size="13">${esc(label)}</text>`);
  out.push('</g>');
  return out.join('\n');
}

/** Ticks and labels left of the plot area, and the axis title, rotated. */
export function leftAxis(f: Frame, a: Axis, label: string | undefined): string {
  const out: string[] = [`<g class="axis axis-y axis-${a.kind}" fill="#333">`];
  for (const v of a.minor.filter((v) => inDomain(a, v))) {
    out.push(`<line class="tick minor" x1="${f.x0 - 3}" x2="${f.x0}" y1="${n2(px(a, v))}" y2="${n2(px(a, v))}" stroke="#333"/>`);
  }
  for (const v of a.major.filter((v) => inDomain(a, v))) {
    const y = n2(px(a, v));
    out.push(
      `<g class="tick" data-value="${v}"><line x1="${f.x0 - 5}" x2="${f.x0}" y1="${y}" y2="${y}" stroke="#333"/>` +
        `<text x="${f.x0 - 8}" y="${y}" dy="0.35em" text-anchor="end">${esc(a.format(v))}</text></g>`,
    );
  }
  if (label) {
    const cx = n2(f.x0 - f.margin.left + 16);
    const cy = n2((f.y0 + f.y1) / 2);
    out.push(`<text class="axis-label" transform="translate(${cx},${cy}) rotate(-90)" text-anchor="middle" font-size="13">${esc(label)}</text>`);
  }
  out.push('</g>');
  return out.join('\n');
}

// ------------------------------------------------------------------------------------ legend

export interface LegendItem {
  readonly label: string;
  readonly color: string;
  /** 'line' (default) or 'point'. */
  readonly symbol?: 'line' | 'point';
  readonly dash?: string;
  readonly width?: number;
}

/** Rough text width in px of DejaVu Sans at 12 px (the legend box is sized from it). */
export const textWidth = (s: string, size = 12): number => [...s].length * size * 0.6;

/** A boxed legend in a corner of the plot area. `dark` draws it on a dark box with white text. */
export function legend(f: Frame, items: readonly LegendItem[], position: LegendPosition = 'top-left', opts: { dark?: boolean } = {}): string {
  if (items.length === 0) return '';
  const rowH = 18;
  const pad = 8;
  const sw = 26;
  const w = pad * 2 + sw + 6 + Math.max(...items.map((i) => textWidth(i.label)));
  const h = pad * 2 + rowH * items.length - 4;
  const x = position.endsWith('left') ? f.x0 + 10 : f.x1 - 10 - w;
  const y = position.startsWith('top') ? f.y0 + 10 : f.y1 - 10 - h;
  const bg = opts.dark ? 'fill="#222" fill-opacity="0.72" stroke="none"' : 'fill="#ffffff" fill-opacity="0.88" stroke="#bbbbbb"';
  const fg = opts.dark ? '#ffffff' : '#222';
  const out: string[] = [`<g class="legend" transform="translate(${n2(x)},${n2(y)})">`, `<rect width="${n2(w)}" height="${n2(h)}" rx="3" ${bg}/>`];
  items.forEach((it, i) => {
    const cy = pad + rowH * i + 5;
    const sym =
      it.symbol === 'point'
        ? `<circle cx="${pad + sw / 2}" cy="${cy}" r="3" fill="${esc(it.color)}" stroke="#000" stroke-opacity="0.4" stroke-width="0.6"/>`
        : `<line x1="${pad}" x2="${pad + sw}" y1="${cy}" y2="${cy}" stroke="${esc(it.color)}" stroke-width="${it.width ?? 2}"${it.dash ? ` stroke-dasharray="${esc(it.dash)}"` : ''}/>`;
    out.push(`<g class="legend-item">${sym}<text x="${pad + sw + 6}" y="${cy}" dy="0.35em" fill="${fg}">${esc(it.label)}</text></g>`);
  });
  out.push('</g>');
  return out.join('\n');
}
