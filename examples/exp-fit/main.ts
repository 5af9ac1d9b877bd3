/**
 * The seed tutorial end to end: train y = exp(x) with an MLP (Adam, batches of 100, 10,000
 * steps) through train(), checkpointing every 100 steps; save the model in Chainer's npz layout,
 * load it back into a fresh tree, read a weight matrix, and check the fit.
 *
 *   pnpm demo [--steps 10000] [--batch 100] [--seed 0] [--out ./out/exp-fit] [--quiet]
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { lastValueFrom } from 'rxjs';
import { isLeft } from 'fp-ts/lib/Either.js';
import { abs, exp, linspace, max, random, reshape, sub, tensor } from '@fluxion/core';
import { loadNpz, saveNpz } from '@fluxion/io';
import { writeFileAtomicSync } from '@fluxion/io/node';
import { adam } from '@fluxion/optim';
import { train, type DoneEvent } from '@fluxion/train';
import { logJsonLines, progress, saveCheckpoints } from '@fluxion/train/node';
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
    progress({ total: steps, quiet: args.quiet ? true : undefined }),
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
const maxErr = max(abs(sub(predict(params, grid), exp(grid)))).item();

say('');
say('params.l1.W (as reloaded from model.npz):');
say(String(params.l1.W));
say('');
say(`pred(0.2) = ${at(0.2).toPrecision(7)}   exp(0.2) = ${Math.exp(0.2).toPrecision(7)}`);
say(`max |pred − exp| on 100 points of [0, 1]: ${maxErr.toExponential(3)}`);
const { summary } = done;
console.log(
  `exp-fit: ${summary.steps} steps in ${(summary.elapsedMs / 1000).toFixed(2)} s ` +
    `(${summary.stepsPerSecond.toFixed(0)} steps/s), final loss ${summary.finalLoss.toExponential(3)}; files in ${out}`,
);
