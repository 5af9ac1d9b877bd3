/**
 * Cost of one Adam update on the seed's model (MLP 1→16→32→1, float32, 609 parameters in 6
 * tensors): median over many batches, in µs per update.
 *
 *     npx tsx --conditions=@fluxion/source packages/optim/bench/adam-update.ts
 */
import { Tensor, random, tensor, tree, type DType } from '@fluxion/core';
import { adam, applyUpdates, step } from '../src/index.js';

const [k1, k2, k3, kg] = random.split(random.key(0), 4);
const params = {
  l1: { W: random.normal(k1!, [16, 1]), b: random.normal(k1!, [16]) },
  l2: { W: random.normal(k2!, [32, 16]), b: random.normal(k2!, [32]) },
  l3: { W: random.normal(k3!, [1, 32]), b: random.normal(k3!, [1]) },
};
const grads = tree.map(params, (t: Tensor) => random.normal(kg!, t.shape));

/** Median µs per call of `f`, over `batches` batches of `per` calls, after a warm-up. */
function median(f: () => void, batches = 300, per = 200): number {
  for (let i = 0; i < 3000; i++) f();
  const times: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < per; i++) f();
    times.push(((performance.now() - t0) * 1000) / per);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

const opt = adam();
let state = opt.init(params);
let p = params;
// Advance a few steps so m and v are not zeros.
for (let i = 0; i < 10; i++) ({ params: p, state } = step(opt, p, grads, state));
const p0 = p;
const s0 = state;

const rows: [string, number][] = [];
rows.push(['opt.update (6 leaves: m, v, update)', median(() => void opt.update(grads, s0, p0))]);
rows.push(['opt.update + applyUpdates', median(() => void applyUpdates(p0, opt.update(grads, s0, p0)[0]))]);
rows.push(['step(opt, ...) fused', median(() => void step(opt, p0, grads, s0))]);
rows.push(['applyUpdates alone', median(() => void applyUpdates(p0, grads))]);

// What tensor()'s copy costs: the 18 arrays one fused step wraps (new param, m, v per leaf), against
// core's internal no-copy constructor (used here only to measure what a public one would save).
const arrays = tree.leaves(p0).flatMap((t) => [0, 1, 2].map(() => ({ a: new Float32Array(t.size), shape: t.shape, dtype: t.dtype as DType })));
rows.push(['  of which: tensor() on 18 arrays (copies)', median(() => { for (const x of arrays) tensor(x.a, { dtype: x.dtype, shape: x.shape }); })]);
rows.push(['  a no-copy constructor on 18 arrays', median(() => { for (const x of arrays) new Tensor(x.shape, x.dtype, x.a); })]);
rows.push(["  core's assertSameStructure × 3 (the walk replaces)", median(() => { tree.assertSameStructure(grads, p0); tree.assertSameStructure(grads, s0.m); tree.assertSameStructure(grads, s0.v); })]);
rows.push(["  core's flatten/leaves/unflatten (the walk replaces)", median(() => {
  const { treedef, leaves } = tree.flatten(grads);
  tree.leaves(p0); tree.leaves(s0.m); tree.leaves(s0.v);
  tree.unflatten(treedef, leaves); tree.unflatten(treedef, leaves); tree.unflatten(treedef, leaves);
})]);

console.log(`node ${process.version}`);
for (const [name, us] of rows) console.log(`${name.padEnd(52)} ${us.toFixed(2).padStart(7)} µs`);
