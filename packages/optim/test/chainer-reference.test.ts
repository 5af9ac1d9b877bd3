/**
 * Reproduces real Chainer 7.8.1 runs (float64) to 1e-12 relative: the params after each of five
 * updates, through both update + applyUpdates and the fused step, and the final state through
 * toChainerState (same keys as Chainer's save_npz(optimizer)) and back through fromChainerState.
 */
import { describe, expect, it } from 'vitest';
import { tree, type Tensor } from '@fluxion/core';
import {
  adagrad,
  adam,
  adamw,
  applyUpdates,
  fromChainerState,
  momentum,
  nesterov,
  rmsprop,
  sgd,
  step,
  toChainerState,
  type CountState,
  type StateFamily,
  type Transform,
} from '../src/index.js';
import { arr, fixture, params, type Params, type Run } from './fixture.js';

const TOL = { rtol: 1e-12, atol: 1e-15 };

/** Any of the optimizers: their states all have a step count. */
interface Counted extends StateFamily {
  readonly S: CountState;
}
type Opt = Transform<Counted>;

/** The Fluxion optimizer for a Chainer run's class name and hyperparameters. */
function optimizerFor(run: Run): Opt {
  const h = run.hyperparams as Record<string, number>;
  switch (run.optimizer) {
    case 'SGD':
      return sgd({ lr: h.lr! });
    case 'MomentumSGD':
      return momentum({ lr: h.lr!, momentum: h.momentum! });
    case 'NesterovAG':
      return nesterov({ lr: h.lr!, momentum: h.momentum! });
    case 'Adam':
      if (h.weight_decay_rate !== undefined) return adamw({ alpha: h.alpha!, weightDecayRate: h.weight_decay_rate });
      if (run.hyperparams.amsgrad === true) return adam({ alpha: h.alpha!, amsgrad: true });
      return adam(h.alpha === undefined ? {} : { alpha: h.alpha });
    case 'RMSprop':
      return rmsprop({ lr: h.lr!, alpha: h.alpha!, eps: h.eps! });
    case 'AdaGrad':
      return adagrad({ lr: h.lr!, eps: h.eps! });
    default:
      throw new Error(`no mapping for ${run.optimizer}`);
  }
}

function label(run: Run): string {
  return `${run.optimizer} ${JSON.stringify(run.hyperparams)}`;
}

function expectParams(actual: Params, expected: Params): void {
  const a = tree.withPaths(actual);
  const e = tree.leaves(expected);
  a.forEach(([path, t], i) => {
    expect(t.dtype, path).toBe('float64');
    expect(t, path).toBeAllclose(e[i]!, TOL);
  });
}

const p0 = params(fixture.params);
const grads = fixture.grads.map(params);

describe('Chainer 7.8.1 reference runs (float64)', () => {
  it('covers the eight runs of the fixture', () => {
    expect(fixture.runs.map((r) => r.optimizer)).toEqual([
      'SGD',
      'MomentumSGD',
      'NesterovAG',
      'Adam',
      'Adam',
      'Adam',
      'RMSprop',
      'AdaGrad',
    ]);
  });

  describe.each(fixture.runs.map((r) => [label(r), r] as const))('%s', (_name, run) => {
    const opt = optimizerFor(run);
    const expected = run.params_after.map(params);

    it('update + applyUpdates: params after each of the five steps', () => {
      let p = p0;
      let s = opt.init(p);
      grads.forEach((g, i) => {
        const [u, s2] = opt.update(g, s, p);
        p = applyUpdates(p, u);
        s = s2;
        expectParams(p, expected[i]!);
      });
      expect(s.t).toBe(5);
    });

    it('fused step: params after each of the five steps', () => {
      let p = p0;
      let s = opt.init(p);
      grads.forEach((g, i) => {
        ({ params: p, state: s } = step(opt, p, g, s));
        expectParams(p, expected[i]!);
      });
    });

    it("final state as Chainer's save_npz keys, and back", () => {
      let p = p0;
      let s = opt.init(p);
      for (const g of grads) ({ params: p, state: s } = step(opt, p, g, s));
      const entries = toChainerState(s, { params: p });
      expect(Object.keys(entries)).toEqual(Object.keys(run.state_npz).sort());
      for (const [key, a] of Object.entries(run.state_npz)) {
        const got = entries[key]!;
        expect(got.shape, key).toEqual(a.shape);
        expect(got, key).toBeAllclose(arr(a), TOL);
      }
      // Chainer's keys back into a state, then one more step equals one more step from ours.
      const raw: Record<string, Tensor> = {};
      for (const [key, a] of Object.entries(run.state_npz)) raw[key] = arr(a);
      const loaded = fromChainerState(raw, opt.init(p0));
      expect(loaded.t).toBe(5);
      const fromOurs = step(opt, p, grads[0]!, s).params;
      const fromChainer = step(opt, p, grads[0]!, loaded).params;
      expectParams(fromChainer, fromOurs);
    });
  });
});
