/**
 * Bad input fails at once with a typed error that says where: mismatched tree structures name the
 * first differing path; a gradient or state leaf of the wrong shape or dtype names its path; bad
 * hyperparameters are ValueErrors at construction.
 */
import { describe, expect, it } from 'vitest';
import { DTypeError, FluxionError, ShapeError, TreeStructureError, ValueError, tensor, zeros, type Tensor } from '@fluxion/core';
import {
  adagrad,
  adam,
  adamw,
  addDecayedWeights,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  clipByValue,
  momentum,
  nesterov,
  rmsprop,
  scale,
  scaleByLearningRate,
  sgd,
  step,
  type StateFamily,
  type Transform,
} from '../src/index.js';

const params = {
  l1: { W: zeros([2, 3], 'float64'), b: zeros([2], 'float64') },
  l2: { W: zeros([1, 2], 'float64'), b: zeros([1], 'float64') },
};
type P = typeof params;

/** Catches what `f` throws, or fails. */
function thrown(f: () => unknown): FluxionError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FluxionError);
    return e as FluxionError;
  }
  throw new Error('expected an error');
}

const all: readonly [string, Transform<StateFamily>][] = [
  ['sgd', sgd()],
  ['momentum', momentum()],
  ['nesterov', nesterov()],
  ['adam', adam()],
  ['adam', adam({ amsgrad: true })],
  ['adamw', adamw({ weightDecayRate: 0.1 })],
  ['rmsprop', rmsprop()],
  ['adagrad', adagrad()],
];

describe('mismatched tree structures name the first differing path', () => {
  const { l2: _dropped, ...noL2 } = params;
  const missingB = { l1: params.l1, l2: { W: params.l2.W } };
  const renamed = { l1: { W: params.l1.W, bias: params.l1.b }, l2: params.l2 };

  it.each(all)('%s: grads vs params', (name, opt) => {
    const s = opt.init(params);
    for (const [grads, path] of [
      [missingB, 'l2/b'],
      [renamed, 'l1/b'],
      [noL2, 'l2'],
    ] as const) {
      for (const run of [() => opt.update(grads as unknown as P, s, params), () => step(opt, params, grads as unknown as P, s)]) {
        const e = thrown(run);
        expect(e).toBeInstanceOf(TreeStructureError);
        expect((e as TreeStructureError).path).toBe(path);
        expect(e.message).toContain(`'${path}'`);
        expect(e.message).toMatch(new RegExp(`^${name}: grads \\(first\\) vs params \\(second\\)`));
      }
    }
  });

  it.each(all.filter(([n]) => n !== 'sgd'))('%s: grads vs a state made for other params', (_name, opt) => {
    const s = opt.init(missingB);
    const e = thrown(() => opt.update(params, s, params));
    expect(e).toBeInstanceOf(TreeStructureError);
    expect((e as TreeStructureError).path).toBe('l2/b');
    expect(e.message).toMatch(/grads \(first\) vs state\.\w+ \(second\)/);
  });

  it('a state from another optimizer names the missing slot', () => {
    const e = thrown(() => adam().update(params, sgd().init(params) as never, params));
    expect(e).toBeInstanceOf(TreeStructureError);
    expect((e as TreeStructureError).path).toBe('m');
    const ams = thrown(() => adam({ amsgrad: true }).update(params, adam().init(params), params));
    expect((ams as TreeStructureError).path).toBe('vhat');
  });

  it('applyUpdates: params vs updates', () => {
    const e = thrown(() => applyUpdates(params, missingB as unknown as P));
    expect(e).toBeInstanceOf(TreeStructureError);
    expect((e as TreeStructureError).path).toBe('l2/b');
    expect(e.message).toContain("applyUpdates: params (first) vs updates (second): tree structures differ at 'l2/b'");
  });

  it('addDecayedWeights: updates vs params', () => {
    const e = thrown(() => addDecayedWeights(0.1).update(params, {}, renamed as unknown as P));
    expect((e as TreeStructureError).path).toBe('l1/b');
  });

  it('chain: a state of the wrong length', () => {
    const opt = chain(clipByGlobalNorm(1), adam());
    const e = thrown(() => opt.update(params, [{}] as never, params));
    expect(e).toBeInstanceOf(TreeStructureError);
    expect(e.message).toContain('must be an array of 2 states');
  });
});

describe('leaves of the wrong shape or dtype name their path', () => {
  const wrongShape = { ...params, l1: { ...params.l1, W: zeros([3, 2], 'float64') } };
  const wrongDtype = { ...params, l2: { ...params.l2, b: zeros([1], 'float32') } };

  it.each(all)('%s', (_name, opt) => {
    const s = opt.init(params);
    const se = thrown(() => opt.update(wrongShape, s, params));
    expect(se).toBeInstanceOf(ShapeError);
    expect(se.message).toContain("grads at 'l1/W' has shape [3, 2], params has [2, 3]");
    const de = thrown(() => step(opt, params, wrongDtype, s));
    expect(de).toBeInstanceOf(DTypeError);
    expect(de.message).toContain("grads at 'l2/b' is float32, params is float64");
  });

  it('a state leaf of the wrong shape', () => {
    const s = adam().init(params);
    const bad = { ...s, v: { ...s.v, l2: { ...s.v.l2, W: zeros([2, 1], 'float64') } } };
    const e = thrown(() => adam().update(params, bad, params));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toContain("state.v at 'l2/W' has shape [2, 1], params has [1, 2]");
  });

  it('applyUpdates', () => {
    const e = thrown(() => applyUpdates(params, wrongShape));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toContain("updates at 'l1/W'");
  });

  it('non-float params and non-tensor leaves', () => {
    const ints = { w: tensor([1, 2], { dtype: 'int32' }) };
    const e = thrown(() => adam().init(ints));
    expect(e).toBeInstanceOf(DTypeError);
    expect(e.message).toContain("params at 'w' must be float32 or float64, got int32");
    const n = thrown(() => sgd().update({ w: 1 as unknown as Tensor }, { t: 0 }));
    expect(n).toBeInstanceOf(DTypeError);
    expect(n.message).toContain("grads at 'w' must be a Tensor, got number");
    expect(() => scale(2).update({ w: tensor([1], { dtype: 'bool' }) }, {})).toThrow(/updates at 'w' must be float32 or float64/);
  });
});

describe('other misuse', () => {
  it('weight decay needs the params', () => {
    const opt = adamw({ weightDecayRate: 0.1 });
    expect(() => opt.update(params, opt.init(params))).toThrow(ValueError);
    expect(() => addDecayedWeights(0.1).update(params, {})).toThrow(/needs the params/);
    // Without decay, update does not need them.
    expect(() => adam().update(params, adam().init(params))).not.toThrow();
  });

  it('a bad step count', () => {
    expect(() => adam().update(params, { ...adam().init(params), t: -1 }, params)).toThrow(/'t' must be an integer ≥ 0/);
    expect(() => sgd().update(params, null as never)).toThrow(TreeStructureError);
  });
});

describe('bad hyperparameters are ValueErrors at construction', () => {
  const cases: readonly [string, () => unknown, RegExp][] = [
    ['sgd lr < 0', () => sgd({ lr: -0.1 }), /sgd: lr must be a finite number ≥ 0, got -0.1/],
    ['sgd lr NaN', () => sgd({ lr: NaN }), /lr/],
    ['momentum = 1', () => momentum({ momentum: 1 }), /momentum: momentum must be in \[0, 1\), got 1/],
    ['nesterov momentum < 0', () => nesterov({ momentum: -0.5 }), /momentum must be in \[0, 1\)/],
    ['adam alpha < 0', () => adam({ alpha: -1e-3 }), /adam: alpha must be/],
    ['adam beta1 = 1', () => adam({ beta1: 1 }), /adam: beta1 must be in \[0, 1\), got 1/],
    ['adam beta2 < 0', () => adam({ beta2: -0.1 }), /beta2 must be in \[0, 1\)/],
    ['adam beta2 NaN', () => adam({ beta2: NaN }), /beta2/],
    ['adam eps < 0', () => adam({ eps: -1e-8 }), /eps/],
    ['adamw decay < 0', () => adamw({ weightDecayRate: -0.1 }), /adamw: weightDecayRate/],
    ['adamw without options', () => adamw(undefined as never), /weightDecayRate/],
    ['rmsprop alpha = 1', () => rmsprop({ alpha: 1 }), /rmsprop: alpha/],
    ['adagrad lr < 0', () => adagrad({ lr: -1 }), /adagrad: lr/],
    ['clipByGlobalNorm(0)', () => clipByGlobalNorm(0), /maxNorm must be a finite number > 0/],
    ['clipByValue(1, -1)', () => clipByValue(1, -1), /lower ≤ upper/],
    ['scaleByLearningRate(-1)', () => scaleByLearningRate(-1), /lr must be/],
    ['addDecayedWeights(-1)', () => addDecayedWeights(-1), /rate/],
    ['scale(Infinity)', () => scale(Infinity), /factor/],
  ];
  it.each(cases)('%s', (_name, make, message) => {
    const e = thrown(make);
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toMatch(message);
  });

  it('a schedule is checked when it is read', () => {
    const opt = sgd({ lr: () => -1 });
    expect(() => opt.update(params, opt.init(params))).toThrow(/sgd: the lr schedule gave -1 at step 0/);
  });
});
