/**
 * The seed tutorial end to end: train y = exp(x) with an MLP (Adam, batches of 100, 10,000
 * steps) through train(), checkpointing every 100 steps; plot the loss (log axis) and the fit;
 * save the model in Chainer's npz layout, load it back into a fresh tree, read a weight matrix,
 * and check the fit.
 *
 *   pnpm demo [--steps 10000] [--batch 100] [--seed 0] [--out ./out/exp-fit] [--quiet]
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { lastValueFrom, tap } from 'rxjs';
import { isLeft } from 'fp-ts/lib/Either.js';
import { abs, exp, linspace, max, random, reshape, sub, tensor } from '@fluxion/core';
import { exportModel } from '@fluxion/export';
import { runC } from '@fluxion/export/node';
import { loadNpz, saveNpz } from '@fluxion/io';
import { writeFileAtomicSync } from '@fluxion/io/node';
import { adam } from '@fluxion/optim';
import { train, type DoneEvent } from '@fluxion/train';
import { logJsonLines, progress, saveCheckpoints } from '@fluxion/train/node';
import { linePlot, lossCurve, sparkline } from '@fluxion/viz';
import { writePlot } from '@fluxion/viz/node';
import { batchOf, initParams, loss, predict, type Params } from './model.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '100' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: './out/exp-fit' },
    quiet: { type: 'boolean', default: false },
  },
});
const int = (name: string, v: string, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`exp-fit: --${name} must be an integer >= ${min}, got '${v}'`);
    process.exit(2);
  }
  return n;
};
const steps = int('steps', args.steps!, 1);
const batch = int('batch', args.batch!, 1);
const seed = int('seed', args.seed!, 0);
// pnpm runs the script in its package folder; paths are relative to where the user ran it.
const out = resolve(process.env.INIT_CWD ?? process.cwd(), args.out!);
const say = args.quiet ? () => {} : (s: string) => console.log(s);

mkdirSync(out, { recursive: true });
rmSync(join(out, 'log.jsonl'), { force: true });
const [initKey, runKey] = random.split(random.key(seed));
const params0 = initParams(initKey);

say(`exp-fit: MLP 1→16→32→1, Adam, batch ${batch}, ${steps} steps, seed ${seed}`);
const losses = new Float64Array(steps);
const done = (await lastValueFrom(
  train({
    params: params0,
    loss,
    optimizer: adam(),
    batches: batchOf(batch),
    steps,
    key: runKey,
    checkpointEvery: 100,
  }).pipe(
    saveCheckpoints(join(out, 'checkpoints'), { keep: 3 }),
    logJsonLines(join(out, 'log.jsonl')),
    tap((e) => {
      if (e.type === 'step') losses[e.step - 1] = e.loss;
    }),
    // The bar shows a live sparkline of the loss so far (log scale).
    progress({ total: steps, detail: (ls) => sparkline(ls, { width: 16, log: true }), ...(args.quiet ? { quiet: true } : {}) }),
  ),
)) as DoneEvent<Params, unknown>;
const trained = done.checkpoint.params;

// serializers.save_npz('my.model', model) ... serializers.load_npz('my.model', model)
const modelPath = join(out, 'model.npz');
writeFileAtomicSync(modelPath, saveNpz(trained));
const reloaded = loadNpz(readFileSync(modelPath), initParams(random.key(12345)));
if (isLeft(reloaded)) {
  console.error(`exp-fit: could not reload ${modelPath}:\n${reloaded.left.message}`);
  process.exit(1);
}
const params = reloaded.right.tree;

const at = (x: number): number => predict(params, tensor([[x]])).item();
const grid = reshape(linspace(0, 1, 100), [100, 1]);
const predGrid = predict(params, grid);
const maxErr = max(abs(sub(predGrid, exp(grid)))).item();

// plt.plot(losses); plt.yscale('log')  …  plt.plot(x, np.exp(x)); plt.plot(x, p, "r")
writePlot(join(out, 'loss'), lossCurve(losses, { title: `exp-fit: loss per step (Adam, batch ${batch})`, yLabel: 'loss (MSE, log scale)' }));
const xs = Array.from(grid.data);
writePlot(
  join(out, 'fit'),
  linePlot(
    [
      { name: 'exp(x)', x: xs, y: xs.map(Math.exp), color: '#4e79a7', width: 3.5 },
      { name: `model (MLP 1→16→32→1, ${steps} steps): max |error| ${maxErr.toExponential(1)}`, x: xs, y: Array.from(predGrid.data), color: '#e15759', width: 1.75 },
    ],
    { title: 'exp-fit: exp(x) and the trained model on [0, 1]', xLabel: 'x', yLabel: 'y', legend: 'top-left' },
  ),
);

// ---- Standalone model: model.mjs and model.c -----------------------------------------------
// The seed re-wrote the trained model in numpy "so it can be used without a machine learning
// library, or ported to C". @fluxion/export does it from the same predict function: an ES module
// with no imports and a C99 file, weights inlined exactly. Both are checked against Fluxion.
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
writeFileAtomicSync(join(out, 'model.mjs'), utf8(exportModel(predict, params, { inputShape: [1, 1], format: 'js' })));
const cSource = exportModel(predict, params, { inputShape: [1, 1], format: 'c', name: 'exp_fit' });
writeFileAtomicSync(join(out, 'model.c'), utf8(cSource));
const standalone = (await import(pathToFileURL(join(out, 'model.mjs')).href)) as { default: (x: Float32Array) => Float32Array };
const gridX = Float32Array.from(xs, Math.fround);
const fluxionGrid = predict(params, tensor(gridX, { shape: [100, 1] })).data;
const maxDiff = (ys: Float32Array): number => ys.reduce((m, y, i) => Math.max(m, Math.abs(y - fluxionGrid[i]!)), 0);
const jsDiff = maxDiff(standalone.default(gridX));
let cReport: string;
try {
  cReport = `model.c (cc -std=c99 -O2) max |diff| ${maxDiff(runC(cSource, gridX, { name: 'exp_fit' }))}`;
} catch (e) {
  cReport = `model.c not checked: ${(e as Error).message.split('\n')[0]}`;
}
// ---------------------------------------------------------------------------------------------

say('');
say('params.l1.W (as reloaded from model.npz):');
say(String(params.l1.W));
say('');
say(`pred(0.2) = ${at(0.2).toPrecision(7)}   exp(0.2) = ${Math.exp(0.2).toPrecision(7)}`);
say(`max |pred − exp| on 100 points of [0, 1]: ${maxErr.toExponential(3)}`);
say(`model.mjs pred(0.2) = ${standalone.default(new Float32Array([0.2]))[0]!.toPrecision(7)}   Fluxion: ${at(0.2).toPrecision(7)}`);
say(`standalone models vs Fluxion on the 100 points: model.mjs max |diff| ${jsDiff}; ${cReport}`);
const { summary } = done;
console.log(
  `exp-fit: ${summary.steps} steps in ${(summary.elapsedMs / 1000).toFixed(2)} s ` +
    `(${summary.stepsPerSecond.toFixed(0)} steps/s), final loss ${summary.finalLoss.toExponential(3)}; ` +
    `files in ${out}: loss.svg/png, fit.svg/png, model.npz, model.mjs, model.c, log.jsonl, checkpoints/`,
);
