/**
 * @fluxion/viz/node: SVG → PNG with resvg (@resvg/resvg-js, a Rust rasteriser shipped as a
 * prebuilt Node addon inside its npm package), and writing a plot as `.svg` and `.png` side by side.
 */
import { writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';

/** Options of `svgToPng`. */
export interface PngOptions {
  /** Output width in px (the height keeps the SVG's aspect ratio); default: the SVG's width × `scale`. */
  readonly width?: number;
  /** Zoom factor when no width is given (default 1; 2 for sharp pictures on high-density screens). */
  readonly scale?: number;
  /** Background colour (default white). */
  readonly background?: string;
  /** Font files to use besides the system fonts (TTF/OTF paths). */
  readonly fontFiles?: readonly string[];
}

/**
 * Renders an SVG string to PNG bytes. Text uses the system fonts (DejaVu Sans where present,
 * which every Debian machine has).
 * @throws Error when the SVG does not parse.
 */
export function svgToPng(svg: string, opts: PngOptions = {}): Uint8Array {
  const fitTo =
    opts.width !== undefined
      ? ({ mode: 'width', value: Math.round(opts.width) } as const)
      : opts.scale !== undefined && opts.scale !== 1
        ? ({ mode: 'zoom', value: opts.scale } as const)
        : ({ mode: 'original' } as const);
  const r = new Resvg(svg, {
    fitTo,
    background: opts.background ?? '#ffffff',
    font: {
      loadSystemFonts: true,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
      ...(opts.fontFiles ? { fontFiles: [...opts.fontFiles] } : {}),
    },
    shapeRendering: 2,
    textRendering: 1,
  });
  const png = r.render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/** Width and height of PNG bytes, from the IHDR chunk; null when the bytes are not a PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number } | null {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || sig.some((b, i) => png[i] !== b)) return null;
  if (String.fromCharCode(png[12]!, png[13]!, png[14]!, png[15]!) !== 'IHDR') return null;
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

/**
 * Writes `base + '.svg'` and `base + '.png'` (e.g. `out/loss` → `out/loss.svg`, `out/loss.png`);
 * returns the two paths.
 */
export function writePlot(base: string, svg: string, opts: PngOptions = {}): { svg: string; png: string } {
  const paths = { svg: `${base}.svg`, png: `${base}.png` };
  writeFileSync(paths.svg, svg);
  writeFileSync(paths.png, svgToPng(svg, opts));
  return paths;
}
