/**
 * A step lays every new param and slot out in one array per dtype and kind: leaves of mixed
 * dtypes and sizes must still get their own values, of their own dtype, and later steps must
 * not disturb the trees an earlier step returned.
 */
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '@fluxion/core';
import { adam, sgd, step } from '@fluxion/optim';

const f32 = (xs: number[], shape?: number[]): Tensor => tensor(new Float32Array(xs), shape ? { shape } : {});
const f64 = (xs: number[]): Tensor => tensor(new Float64Array(xs), { dtype: 'float64' });

describe('the new params and state of a step', () => {
  it('mixed float32 / float64 leaves each get p − lr·g in their own dtype', () => {
    const params = { a: f32([1, 2, 3, 4, 5], [5]), b: f64([0.1, -0.2]), c: f32([7]) };
    const grads = { a: f32([0.5, 0.5, 0.5, 0.5, 0.5], [5]), b: f64([1, 1]), c: f32([-2]) };
    const opt = sgd({ lr: 0.1 });
    const { params: p1 } = step(opt, params, grads, opt.init(params));
    expect(p1.a.dtype).toBe('float32');
    expect(p1.b.dtype).toBe('float64');
    expect(Array.from(p1.a.data)).toEqual([1, 2, 3, 4, 5].map((v) => Math.fround(Math.fround(v) - 0.1 * 0.5)));
    expect(Array.from(p1.b.data)).toEqual([0.1 - 0.1, -0.2 - 0.1]);
    expect(Array.from(p1.c.data)).toEqual([Math.fround(7 + 0.1 * 2)]);
  });

  it("adam's params, m and v stay intact across further steps", () => {
    const params = { w: f32([1, -1, 2], [3]), b: f64([0.5]) };
    const grads = { w: f32([0.1, 0.2, -0.3], [3]), b: f64([1]) };
    const opt = adam();
    const s0 = opt.init(params);
    const r1 = step(opt, params, grads, s0);
    const snap = (t: Tensor): number[] => Array.from(t.data);
    const before = [snap(r1.params.w), snap(r1.params.b), snap(r1.state.m.w), snap(r1.state.v.w), snap(r1.state.m.b)];
    // m = (1 − β1)·g and v = (1 − β2)·g² after one step from zeros.
    expect(snap(r1.state.m.w)).toEqual([0.1, 0.2, -0.3].map((g) => Math.fround(0.1 * Math.fround(g))));
    expect(snap(r1.state.v.b)).toEqual([(1 - 0.999) * 1]);
    let r = r1;
    for (let i = 0; i < 3; i++) r = step(opt, r.params, grads, r.state);
    expect([snap(r1.params.w), snap(r1.params.b), snap(r1.state.m.w), snap(r1.state.v.w), snap(r1.state.m.b)]).toEqual(before);
  });
});
