/**
 * @fluxion/viz: pictures of training as pure functions from data to SVG strings (a loss curve on
 * a log axis, line plots with a legend, filled contours with a colour bar and a path on top),
 * and terminal sparklines for a progress display. No DOM and no Node APIs: it runs in a browser
 * too. SVG → PNG lives in `@fluxion/viz/node`.
 *
 * @example
 * const svg = lossCurve(losses, { title: 'exp-fit: loss' });
 * const fit = linePlot([{ name: 'exp(x)', x, y: ex }, { name: 'model', x, y: pred }]);
 */
export {
  lossCurve,
  linePlot,
  contourPlot,
  gridOf,
  envelope,
  movingGeometricMean,
  type LossCurveOptions,
  type LinePlotOptions,
  type Series,
  type Grid,
  type Marker,
  type ContourOptions,
} from './plots.js';
export { sparkline, miniChart, buckets, type TerminalChartOptions } from './terminal.js';
export {
  FONT_FAMILY,
  PALETTE,
  powerOfTen,
  formatNumber,
  esc as escapeXml,
  type PlotOptions,
  type AxisKind,
  type LegendPosition,
} from './svg.js';
