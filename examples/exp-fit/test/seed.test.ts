import { describe, expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { random, tree } from '@fluxion/core';
import { saveNpz, decodeNpz } from '@fluxion/io';
import { adam } from '@fluxion/optim';
import { train } from '@fluxion/train';
import { batchOf, initParams, loss } from '../model.js';

describe('the seed workload (exp-fit) at reduced steps', () => {
  it('Adam on batches of 100 brings the MSE from O(1) below 1e-2 within 1500 steps', async () => {
    const [initKey, runKey] = random.split(random.key(0));
    const events = await lastValueFrom(
      train({ params: initParams(initKey), loss, optimizer: adam(), batches: batchOf(100), steps: 1500, key: runKey, mode: 'sync' }).pipe(
        toArray(),
      ),
    );
    const losses = events.flatMap((e) => (e.type === 'step' ? [e.loss] : []));
    expect(losses).toHaveLength(1500);
    const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // exp(x) on [0, 1) has mean ≈ 1.72: an untrained net starts with a loss of order 1.
    expect(meanOf(losses.slice(0, 10))).toBeGreaterThan(0.5);
    expect(meanOf(losses.slice(-100))).toBeLessThan(1e-2);
  });

  it("has Chainer's MyChain parameter layout: l1/W [16, 1] … l3/b [1], so model.npz loads into the seed's model", () => {
    const params = initParams(random.key(0));
    expect(tree.paths(params)).toEqual(['l1/W', 'l1/b', 'l2/W', 'l2/b', 'l3/W', 'l3/b']);
    const npz = decodeNpz(saveNpz(params));
    if (npz._tag === 'Left') throw npz.left;
    expect([...npz.right.entries()].map(([k, t]) => [k, t.shape, t.dtype])).toEqual([
      ['l1/W', [16, 1], 'float32'],
      ['l1/b', [16], 'float32'],
      ['l2/W', [32, 16], 'float32'],
      ['l2/b', [32], 'float32'],
      ['l3/W', [1, 32], 'float32'],
      ['l3/b', [1], 'float32'],
    ]);
  });
});
