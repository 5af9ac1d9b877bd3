/**
 * The seed's second half: shrink the model to y = Wx + b and train it with plain SGD (lr 0.01).
 *
 * 1. Batches of one sample, five steps: W and b, the gradients derived by hand, ∂E/∂W = 2(y − t)x
 *    and ∂E/∂b = 2(y − t), beside Fluxion's, and the SGD update W − α∂W, b − α∂b.
 * 2. Batches of 20, 1000 steps, (W, b) recorded every 10 steps: the path over the loss surface
 *    (contour.svg/png) and the fitted line beside exp(x) and the least-squares line (line-fit.svg/png).
 *
 *   pnpm demo:linear [--steps 1000] [--seed 1] [--out ./out/linear-sgd]
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { random } from '@fluxion/core';
import { contourPlot, gridOf, linePlot } from '@fluxion/viz';
import { writePlot } from '@fluxion/viz/node';
import { expectedLoss, leastSquares, sgdPath, sgdTable, surface } from './lesson.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: './out/linear-sgd' },
  },
});
const int = (name: string, v: string, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`linear-sgd: --${name} must be an integer >= ${min}, got '${v}'`);
    process.exit(2);
  }
  return n;
};
const steps = int('steps', args.steps!, 10);
const seed = int('seed', args.seed!, 0);
const out = resolve(process.env.INIT_CWD ?? process.cwd(), args.out!);
mkdirSync(out, { recursive: true });
const [tableKey, pathKey] = random.split(random.key(seed));

// ---- 1. the table ------------------------------------------------------------------------------
const lr = 0.01;
console.log(`linear-sgd: y = Wx + b from W = b = 0, SGD lr ${lr}, batch 1, E = (y − t)², t = exp(x)\n`);
const f8 = (v: number): string => (v < 0 ? '' : ' ') + v.toFixed(8);
const row = (label: string, a: number, b: number): string => `${label.padEnd(24)}${f8(a)}, ${f8(b)}`;
const table = sgdTable({ steps: 5, lr, key: tableKey });
const ulps = (a: number, b: number): number => {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat32(0, a);
  buf.setFloat32(4, b);
  return Math.abs(buf.getInt32(0) - buf.getInt32(4));
};
let worst = 0;
for (const r of table) {
  console.log(`======  step ${r.step}  ======`);
  console.log(row('x, t', r.x, r.t));
  console.log(row('W, b', r.W, r.b));
  console.log(row('2(y−t)x, 2(y−t)', r.handW, r.handB));
  console.log(row('∂W, ∂b  (Fluxion grad)', r.gradW, r.gradB));
  console.log(row('W−α∂W, b−α∂b', r.expectW, r.expectB));
  worst = Math.max(worst, ulps(r.handW, r.gradW), ulps(r.handB, r.gradB));
}
console.log(
  `\nFluxion's gradients equal the hand-derived 2(y−t)x and 2(y−t) ` +
    (worst === 0 ? 'bit for bit in float32' : `to float32 precision (within ${worst} ulp${worst === 1 ? '' : 's'})`) +
    `, and SGD moves W and b by ${lr} × the gradient each step.\n`,
);

// ---- 2. the path over the loss surface ------------------------------------------------------
const path = await sgdPath({ steps, batch: 20, lr, every: 10, key: pathKey });
const last = path.W.length - 1;
const Wn = path.W[last]!;
const bn = path.b[last]!;
const ls = leastSquares;
const grid = gridOf((w, b) => surface(w, b), [-1, 3], [-1, 3], 81);
writePlot(
  join(out, 'contour'),
  contourPlot(grid, {
    scale: 'log',
    levels: 30,
    path: { x: path.W, y: path.b },
    pathLabel: `SGD (W, b) every 10 steps, batch 20, lr ${lr}`,
    markers: [{ x: ls.W, y: ls.b, label: 'least squares' }],
    title: 'linear-sgd: the SGD path over the loss surface',
    xLabel: 'W',
    yLabel: 'b',
    colorBarLabel: 'mean squared error (log scale)',
    width: 600,
    height: 520,
  }),
);
const xs = Array.from({ length: 100 }, (_, i) => i / 99);
const fmt = (v: number): string => v.toFixed(4);
writePlot(
  join(out, 'line-fit'),
  linePlot(
    [
      { name: 'exp(x)', x: xs, y: xs.map(Math.exp), color: '#4e79a7', width: 2.5 },
      { name: `SGD, ${steps} steps: y = ${fmt(Wn)}x + ${fmt(bn)}`, x: xs, y: xs.map((x) => Wn * x + bn), color: '#e15759' },
      { name: `least squares: y = ${fmt(ls.W)}x + ${fmt(ls.b)}`, x: xs, y: xs.map((x) => ls.W * x + ls.b), color: '#333333', dash: '6 4', width: 1.5 },
    ],
    { title: 'linear-sgd: exp(x) against the fitted line', xLabel: 'x', yLabel: 'y', legend: 'top-left' },
  ),
);

const dist = Math.hypot(Wn - ls.W, bn - ls.b);
const dist0 = Math.hypot(ls.W, ls.b);
const lineOf = (w: number, b: number): string => `W = ${fmt(w)}, b = ${fmt(b)}   expected loss ${expectedLoss(w, b).toExponential(3)}`;
console.log(`SGD after ${steps} steps (batch 20):`.padEnd(44) + lineOf(Wn, bn));
console.log('least squares, W = 6(3 − e), b = 4e − 10:'.padEnd(44) + lineOf(ls.W, ls.b));
console.log(
  `SGD has come ${(100 * (1 - dist / dist0)).toFixed(1)}% of the way from (0, 0) to the least-squares point` +
    (dist > 0.01 * dist0 ? '; the rest lies along the flat floor of the valley (try --steps 10000).' : '.'),
);
console.log(`linear-sgd: files in ${out}: contour.svg/png, line-fit.svg/png`);
