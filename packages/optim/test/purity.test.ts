/**
 * Purity: init, update, step and applyUpdates never change the bytes (or the structure) of any
 * tree they are given: params, gradients, updates or state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tree, type DType, type Tensor } from '@fluxion/core';
import { shape, tensorOf } from '@fluxion/core/testing';
import {
  adagrad,
  adam,
  adamw,
  addDecayedWeights,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  clipByValue,
  cosineDecay,
  momentum,
  nesterov,
  rmsprop,
  scaleByLearningRate,
  sgd,
  step,
  type StateFamily,
  type Transform,
} from '../src/index.js';

type Params = { layers: Tensor[]; head: { W: Tensor } };

/** Every leaf's bytes and every number, with its path: a fingerprint of a tree's contents. */
function snapshot(t: unknown): [string, string][] {
  return tree.withPaths(t).map(([path, leaf]) => {
    if (typeof leaf === 'number') return [path, `number ${leaf}`];
    const d = (leaf as Tensor).data;
    const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    return [path, `${(leaf as Tensor).dtype} ${(leaf as Tensor).shape.join('x')} ${Array.from(bytes).join(',')}`];
  });
}

const toTree = (ls: readonly Tensor[]): Params => ({ layers: ls.slice(0, -1), head: { W: ls[ls.length - 1]! } });

/** params and two gradient trees of the same random shapes and dtype. */
const problemArb = fc.constantFrom<DType>('float32', 'float64').chain((dtype) =>
  fc.array(shape({ maxRank: 2, maxDim: 4 }), { minLength: 1, maxLength: 4 }).chain((shapes) => {
    const treeArb = fc.tuple(...shapes.map((s) => tensorOf(s, { dtype }))).map(toTree);
    return fc.tuple(treeArb, treeArb, treeArb);
  }),
);

const transforms: readonly [string, () => Transform<StateFamily>][] = [
  ['sgd', () => sgd()],
  ['momentum', () => momentum()],
  ['nesterov', () => nesterov()],
  ['adam', () => adam()],
  ['adam amsgrad', () => adam({ amsgrad: true })],
  ['adamw', () => adamw({ weightDecayRate: 0.1 })],
  ['rmsprop', () => rmsprop()],
  ['adagrad', () => adagrad()],
  ['chain of transforms', () => chain(clipByGlobalNorm(0.5), clipByValue(-0.1, 0.1), addDecayedWeights(0.1), scaleByLearningRate(cosineDecay(0.1, 10)))],
  ['chain ending in adam', () => chain(clipByGlobalNorm(1), adam())],
];

describe('update, step and applyUpdates leave their inputs unchanged', () => {
  it.each(transforms)('%s', (_name, make) => {
    const opt = make();
    fc.assert(
      fc.property(problemArb, ([params, g1, g2]) => {
        const before = [params, g1, g2].map(snapshot);
        const s0 = opt.init(params);
        const s0Snap = snapshot(s0);
        const [u1, s1] = opt.update(g1, s0, params);
        const s1Snap = snapshot(s1);
        const u1Snap = snapshot(u1);
        const p1 = applyUpdates(params, u1);
        const p1Snap = snapshot(p1);
        opt.update(g2, s1, p1);
        step(opt, p1, g2, s1);
        step(opt, params, g1, s0);
        expect([params, g1, g2].map(snapshot)).toEqual(before);
        expect(snapshot(s0)).toEqual(s0Snap);
        expect(snapshot(s1)).toEqual(s1Snap);
        expect(snapshot(u1)).toEqual(u1Snap);
        expect(snapshot(p1)).toEqual(p1Snap);
        // Results are fresh trees of the params' structure and dtype.
        expect(tree.structureEqual(p1, params)).toBe(true);
        tree.leaves(p1).forEach((t, i) => expect(t.dtype).toBe(tree.leaves(params)[i]!.dtype));
      }),
      { numRuns: 40 },
    );
  });
});
