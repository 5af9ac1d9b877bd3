/**
 * The seed model (MLP 1→16→32→1, leakyRelu after every layer) built with `mlp` and by hand,
 * checked against Chainer's own predictions for Chainer-trained weights; then dropout and
 * embedding.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  ShapeError,
  ValueError,
  grad,
  leakyRelu,
  mean,
  mul,
  ones,
  random,
  sum,
  tanh,
  tensor,
  tree,
  zeros,
  type Tensor,
} from '@fluxion/core';
import { checkGrad, tensorOf } from '@fluxion/core/testing';
import { dropout, embedding, gelu, linear, meanSquaredError, mlp, type LinearParams, type MlpParams } from '@fluxion/nn';

interface Arr {
  readonly shape: number[];
  readonly data: number[];
}
const chainer = JSON.parse(readFileSync(new URL('./fixtures/chainer-mychain.json', import.meta.url), 'utf8')) as {
  params: Record<'l1' | 'l2' | 'l3', { W: Arr; b: Arr }>;
  x: Arr;
  predict: Arr;
};
const f32 = (a: Arr): Tensor => tensor(new Float32Array(a.data), { shape: a.shape });

/** The seed's predict, written out by hand as the issue reads it. */
type SeedParams = { readonly l1: LinearParams; readonly l2: LinearParams; readonly l3: LinearParams };
const predict = (p: SeedParams, x: Tensor): Tensor => leakyRelu(linear(p.l3, leakyRelu(linear(p.l2, leakyRelu(linear(p.l1, x))))));

describe('the seed model', () => {
  const params = mlp.init(random.key(0), [1, 16, 32, 1]);

  it('mlp.init gives { l1, l2, l3 } with Chainer paths and [out, in] shapes', () => {
    expect(tree.paths(params)).toEqual(['l1/W', 'l1/b', 'l2/W', 'l2/b', 'l3/W', 'l3/b']);
    expect(tree.leaves(params).map((t) => t.shape)).toEqual([[16, 1], [16], [32, 16], [32], [1, 32], [1]]);
    expect(tree.leaves(params).every((t) => t.dtype === 'float32')).toBe(true);
    // The type knows the layer names.
    const W3: Tensor = params.l3.W;
    expect(W3.shape).toEqual([1, 32]);
    // @ts-expect-error there is no fourth layer
    expect(params.l4).toBeUndefined();
  });

  it('each layer is linear.init with its own split key (b zero, W LeCun normal)', () => {
    const keys = random.split(random.key(0), 3);
    expect(params.l2.W).toBeAllclose(linear.init(keys[1]!, 16, 32).W, { rtol: 0, atol: 0 });
    expect([...params.l1.b.data].every((v) => v === 0)).toBe(true);
    expect(mlp.init(random.key(0), [1, 16, 32, 1]).l1.W).toBeAllclose(params.l1.W, { rtol: 0, atol: 0 });
  });

  it('mlp applies leakyRelu after EVERY layer by default: the hand-written predict', () => {
    const x = random.uniform(random.key(1), [100, 1]);
    expect(mlp(params, x)).toBeAllclose(predict(params, x), { rtol: 0, atol: 0 });
    expect(mlp(params, x).shape).toEqual([100, 1]);
    // finalActivation: null leaves the last layer linear.
    const h = leakyRelu(linear(params.l2, leakyRelu(linear(params.l1, x))));
    expect(mlp(params, x, { finalActivation: null })).toBeAllclose(linear(params.l3, h), { rtol: 0, atol: 0 });
  });

  it("reproduces Chainer's predictions for Chainer-trained weights (weights move unchanged)", () => {
    const layer = (l: { W: Arr; b: Arr }): LinearParams => ({ W: f32(l.W), b: f32(l.b) });
    const p = { l1: layer(chainer.params.l1), l2: layer(chainer.params.l2), l3: layer(chainer.params.l3) };
    const x = f32(chainer.x);
    expect(mlp(p, x)).toBeAllclose(f32(chainer.predict), { rtol: 1e-6, atol: 1e-6 });
    expect(predict(p, x)).toBeAllclose(f32(chainer.predict), { rtol: 1e-6, atol: 1e-6 });
  });

  it('trains: the MSE gradient has the params’ tree type and shapes', () => {
    const x = random.uniform(random.key(2), [100, 1]);
    const t = tensor(Float32Array.from(x.data, Math.exp), { shape: [100, 1] });
    const g = grad((p: typeof params) => meanSquaredError(mlp(p, x), t))(params);
    expect(tree.paths(g)).toEqual(tree.paths(params));
    expect(g.l1.W.shape).toEqual([16, 1]);
  });
});

describe('mlp', () => {
  it('takes other activations, initializers and dtypes; sizes of any length', () => {
    const p = mlp.init(random.key(3), [3, 4, 5, 6, 2], { dtype: 'float64', initialBias: 0.1 });
    expect(Object.keys(p).sort()).toEqual(['l1', 'l2', 'l3', 'l4']);
    expect(p.l4.b).toBeAllclose([0.1, 0.1]);
    const y = mlp(p, zeros([7, 3], 'float64'), { activation: tanh, finalActivation: (h) => mul(h, 2) });
    expect(y.shape).toEqual([7, 2]);
    expect(y.dtype).toBe('float64');
  });

  it('validates sizes, params and activations', () => {
    expect(() => mlp.init(random.key(0), [3])).toThrow(ValueError);
    expect(() => mlp.init(random.key(0), [3, 0, 1])).toThrow(/^mlp.init: sizes\[1\] must be a positive integer/);
    const p = mlp.init(random.key(0), [2, 3, 1]);
    expect(() => mlp({ l1: p.l1, l3: p.l2 }, zeros([1, 2]))).toThrow(/^mlp: params must hold exactly the layers l1..l2; missing 'l2'/);
    expect(() => mlp({ l1: p.l1 }, zeros([1, 3]))).toThrow(ShapeError); // l1 wants in-size 2
    // @ts-expect-error not an activation
    expect(() => mlp(p, zeros([1, 2]), { activation: 3 })).toThrow(ValueError);
  });

  it('gradients in x and every parameter match finite differences (smooth activations)', () => {
    const arb = fc.tuple(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }), fc.nat(1000), fc.integer({ min: 1, max: 3 }));
    fc.assert(
      fc.property(arb, ([sizes, seed, batch]) => {
        const p: MlpParams = mlp.init(random.key(seed), sizes, { dtype: 'float64' });
        const x = random.normal(random.key(seed + 1), [batch, sizes[0]!], { dtype: 'float64' });
        const { leaves, treedef } = tree.flatten(p);
        const opts = { activation: tanh, finalActivation: gelu };
        const f = (x: Tensor, ...ws: Tensor[]): Tensor => mean(mul(tanh(mlp(tree.unflatten(treedef, ws), x, opts)), 1));
        checkGrad(f, [x, ...leaves]);
      }),
      { numRuns: 20 },
    );
  });
});

describe('dropout', () => {
  const x = ones([200_000], 'float64');

  it('drops about rate of the elements and scales the rest by 1/(1 − rate)', () => {
    const rate = 0.3;
    const y = dropout(random.key(0), x, rate).data;
    let zerosCount = 0;
    let others = 0;
    let s = 0;
    for (const v of y) {
      if (v === 0) zerosCount++;
      else if (v !== 1 / (1 - rate)) others++;
      s += v;
    }
    expect(others).toBe(0);
    const n = y.length;
    // Within 5 standard errors of the Bernoulli proportion; the mean stays 1.
    expect(Math.abs(zerosCount / n - rate)).toBeLessThan(5 * Math.sqrt((rate * (1 - rate)) / n));
    expect(Math.abs(s / n - 1)).toBeLessThan((5 * Math.sqrt((rate * (1 - rate)) / n)) / (1 - rate));
  });

  it('is deterministic in the key', () => {
    const a = dropout(random.key(1), x, 0.5);
    expect(dropout(random.key(1), x, 0.5)).toBeAllclose(a, { rtol: 0, atol: 0 });
    expect(dropout(random.key(2), x, 0.5)).not.toBeAllclose(a, { rtol: 0, atol: 0 });
  });

  it('rate 0 returns x itself; rates outside [0, 1) are a ValueError', () => {
    expect(dropout(random.key(0), x, 0)).toBe(x);
    for (const r of [1, -0.1, 1.5, NaN]) expect(() => dropout(random.key(0), x, r)).toThrow(ValueError);
    expect(() => dropout(random.key(0), x, 1)).toThrow(/^dropout: rate must be in \[0, 1\)/);
    expect(() => dropout(random.key(0), tensor([1], { dtype: 'int32' }), 0.5)).toThrow(DTypeError);
  });

  it('passes gradients through the kept elements only, scaled', () => {
    const v = random.normal(random.key(4), [50], { dtype: 'float64' });
    const y = dropout(random.key(5), v, 0.4);
    const g = grad((v: Tensor) => sum(dropout(random.key(5), v, 0.4)))(v);
    const expected = Array.from(y.data, (yi) => (yi === 0 ? 0 : 1 / 0.6));
    expect(g).toBeAllclose(expected, { rtol: 1e-15 });
  });
});

describe('embedding', () => {
  const W = tensor([[0, 0.5], [1, 1.5], [2, 2.5], [3, 3.5]], { dtype: 'float64' });
  const ids = tensor([[1, 3, 1]], { dtype: 'int32' });

  it('gathers rows of W: [...ids.shape, dim]', () => {
    const y = embedding({ W }, ids);
    expect(y.shape).toEqual([1, 3, 2]);
    expect(y).toBeAllclose([[[1, 1.5], [3, 3.5], [1, 1.5]]], { rtol: 0, atol: 0 });
  });

  it('sends gradients to the looked-up rows, repeated ids adding up', () => {
    const c = tensor([[[1, 2], [3, 4], [5, 6]]], { dtype: 'float64' });
    const g = grad((p: { W: Tensor }) => sum(mul(embedding(p, ids), c)))({ W });
    expect(g.W).toBeAllclose([[0, 0], [6, 8], [0, 0], [3, 4]], { rtol: 0, atol: 0 });
    fc.assert(
      fc.property(tensorOf([4, 2]), (w) => checkGrad((w) => embedding({ W: w }, ids), [w], { order: 2 })),
      { numRuns: 10 },
    );
  });

  it('ignoreLabel gives zero vectors with no gradient', () => {
    const withIgnored = tensor([2, -1, 0], { dtype: 'int32' });
    expect(embedding({ W }, withIgnored, { ignoreLabel: -1 })).toBeAllclose([[2, 2.5], [0, 0], [0, 0.5]], { rtol: 0, atol: 0 });
    const g = grad((p: { W: Tensor }) => sum(embedding(p, withIgnored, { ignoreLabel: -1 })))({ W });
    expect(g.W).toBeAllclose([[1, 1], [0, 0], [1, 1], [0, 0]], { rtol: 0, atol: 0 });
  });

  it('init: { W: [vocab, dim] } ~ N(0, 1) as Chainer EmbedID, deterministic', () => {
    const p = embedding.init(random.key(0), 300, 100, { dtype: 'float64' });
    expect(p.W.shape).toEqual([300, 100]);
    const d = p.W.data;
    let s = 0;
    let ss = 0;
    for (const v of d) {
      s += v;
      ss += v * v;
    }
    const n = d.length;
    expect(Math.abs(s / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(ss / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(embedding.init(random.key(0), 300, 100, { dtype: 'float64' }).W).toBeAllclose(p.W, { rtol: 0, atol: 0 });
    expect(embedding.init(random.key(0), 3, 2).W.dtype).toBe('float32');
  });

  it('validates ids', () => {
    expect(() => embedding({ W }, tensor([1.0]))).toThrow(DTypeError);
    expect(() => embedding({ W }, tensor([4], { dtype: 'int32' }))).toThrow(/^embedding: id 4 is out of range for a vocabulary of 4/);
    expect(() => embedding({ W }, tensor([-1], { dtype: 'int32' }))).toThrow(ValueError);
    expect(() => embedding.init(random.key(0), 0, 2)).toThrow(ValueError);
  });
});
