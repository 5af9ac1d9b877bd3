/**
 * toChainerState / fromChainerState: the key layout of Chainer's save_npz(optimizer) for the seed's
 * model tree, round trips, dtype conversion and errors.
 */
import { describe, expect, it } from 'vitest';
import { ShapeError, TreeStructureError, ValueError, astype, random, scalar, tree, type Tensor } from '@fluxion/core';
import { adam, fromChainerState, momentum, rmsprop, sgd, step, toChainerState } from '../src/index.js';

const [k1, k2, k3, k4] = random.split(random.key(0), 4);
/** The seed's MLP 1→16→32→1 (Chainer Linear layout: W is [out, in]), float32. */
const params = {
  l1: { W: random.normal(k1!, [16, 1]), b: random.normal(k4!, [16]) },
  l2: { W: random.normal(k2!, [32, 16]), b: random.normal(k4!, [32]) },
  l3: { W: random.normal(k3!, [1, 32]), b: random.normal(k4!, [1]) },
};
const grads = tree.map(params, (t: Tensor) => random.normal(k4!, t.shape));

describe('toChainerState', () => {
  it("Adam's state has Chainer's keys: t, epoch, <path>/t, <path>/m, <path>/v", () => {
    const entries = toChainerState(adam().init(params));
    const keys = ['epoch'];
    for (const p of ['l1/W', 'l1/b', 'l2/W', 'l2/b', 'l3/W', 'l3/b']) keys.push(`${p}/m`, `${p}/t`, `${p}/v`);
    keys.push('t');
    expect(Object.keys(entries)).toEqual(keys);
    expect(entries['l2/W/m']!.shape).toEqual([32, 16]);
    expect(entries['l2/W/m']!.dtype).toBe('float32');
    expect(entries.t!.dtype).toBe('int32');
    expect(entries.t!.item()).toBe(0);
  });

  it('the slot tensors are the state leaves; counts follow t; epoch is an option', () => {
    const opt = adam();
    let s = opt.init(params);
    let p = params;
    for (let i = 0; i < 3; i++) ({ params: p, state: s } = step(opt, p, grads, s));
    const entries = toChainerState(s, { epoch: 7 });
    expect(entries['l3/b/m']).toBe(s.m.l3.b);
    expect(entries['l1/W/v']).toBe(s.v.l1.W);
    expect(entries['l1/W/t']!.item()).toBe(3);
    expect(entries.t!.item()).toBe(3);
    expect(entries.epoch!.item()).toBe(7);
  });

  it('a state without slots (sgd) needs the params for the per-parameter counts', () => {
    expect(Object.keys(toChainerState(sgd().init(params)))).toEqual(['epoch', 't']);
    expect(Object.keys(toChainerState({ t: 2 }, { params }))).toEqual([
      'epoch',
      'l1/W/t',
      'l1/b/t',
      'l2/W/t',
      'l2/b/t',
      'l3/W/t',
      'l3/b/t',
      't',
    ]);
  });

  it('other slot names: momentum v, rmsprop ms', () => {
    expect(Object.keys(toChainerState(momentum().init(params)))).toContain('l2/b/v');
    expect(Object.keys(toChainerState(rmsprop().init(params)))).toContain('l2/b/ms');
  });

  it('slot trees that do not match the params name the path', () => {
    const s = adam().init({ l1: params.l1 });
    const e = (() => {
      try {
        toChainerState(s, { params });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(TreeStructureError);
    expect((e as TreeStructureError).path).toBe('l2');
  });
});

describe('fromChainerState', () => {
  const opt = adam({ amsgrad: true });
  let s = opt.init(params);
  let p = params;
  for (let i = 0; i < 4; i++) ({ params: p, state: s } = step(opt, p, grads, s));

  it('round-trips a state, and training continues identically', () => {
    const back = fromChainerState(toChainerState(s), opt.init(params));
    expect(back.t).toBe(4);
    expect(tree.structureEqual(back, s)).toBe(true);
    tree.leaves(back).forEach((l, i) => {
      const o = tree.leaves(s)[i];
      if (typeof l === 'number') expect(l).toBe(o);
      else expect(Array.from(l.data)).toEqual(Array.from((o as Tensor).data));
    });
    expect(Array.from(step(opt, p, grads, back).params.l2.W.data)).toEqual(Array.from(step(opt, p, grads, s).params.l2.W.data));
  });

  it('converts entries to the template dtype (float64 npz into float32 params)', () => {
    const entries: Record<string, Tensor | number> = {};
    for (const [k, v] of Object.entries(toChainerState(s))) entries[k] = v.dtype === 'float32' ? astype(v, 'float64') : v;
    entries.t = 4;
    const back = fromChainerState(entries, opt.init(params));
    expect(back.m.l1.W.dtype).toBe('float32');
    expect(Array.from(back.m.l1.W.data)).toEqual(Array.from(s.m.l1.W.data));
  });

  it('a missing key, a wrong shape, a mismatched count', () => {
    const entries = { ...toChainerState(s) };
    delete entries['l2/b/vhat'];
    expect(() => fromChainerState(entries, opt.init(params))).toThrow(TreeStructureError);
    expect(() => fromChainerState(entries, opt.init(params))).toThrow(/no entry 'l2\/b\/vhat'/);
    const shaped = { ...toChainerState(s), 'l1/W/m': s.m.l2.W };
    expect(() => fromChainerState(shaped, opt.init(params))).toThrow(ShapeError);
    expect(() => fromChainerState(shaped, opt.init(params))).toThrow(/'l1\/W\/m' has shape \[32, 16\], the state expects \[16, 1\]/);
    const counts = { ...toChainerState(s), 'l3/W/t': scalar(2, 'int32') };
    expect(() => fromChainerState(counts, opt.init(params))).toThrow(ValueError);
    const noT: Record<string, Tensor> = { ...toChainerState(s) };
    delete noT.t;
    expect(() => fromChainerState(noT, opt.init(params))).toThrow(/no entry 't'/);
  });
});

