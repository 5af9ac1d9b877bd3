/**
 * The Chainer 7.8.1 reference runs (fixtures/optimizers-chainer.json, copied from the project's
 * shared reference data): float64 params, five gradient trees, and per optimizer the params after
 * each update and the state as Chainer's save_npz(optimizer) writes it.
 */
import { readFileSync } from 'node:fs';
import { tensor, tree, type Tensor } from '@fluxion/core';

export interface Arr {
  readonly shape: number[];
  readonly data: number[];
}

export type Params = { l1: { W: Tensor; b: Tensor }; l2: { W: Tensor; b: Tensor } };
type RawParams = { l1: { W: Arr; b: Arr }; l2: { W: Arr; b: Arr } };

export interface Run {
  readonly optimizer: string;
  readonly hyperparams: Record<string, number | boolean>;
  readonly params_after: RawParams[];
  readonly state_npz: Record<string, Arr>;
}

interface Fixture {
  readonly params: RawParams;
  readonly grads: RawParams[];
  readonly runs: Run[];
}

export const fixture: Fixture = JSON.parse(
  readFileSync(new URL('./fixtures/optimizers-chainer.json', import.meta.url), 'utf8'),
) as Fixture;

export function arr(a: Arr): Tensor {
  return tensor(new Float64Array(a.data), { dtype: 'float64', shape: a.shape });
}

const isArr = (x: unknown): x is Arr =>
  typeof x === 'object' && x !== null && Array.isArray((x as Arr).shape) && Array.isArray((x as Arr).data);

/** A raw `{ shape, data }` tree as a tree of float64 tensors. */
export function params(raw: RawParams): Params {
  const conv = (x: unknown): unknown => {
    if (isArr(x)) return arr(x);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) out[k] = conv(v);
    return out;
  };
  return conv(raw) as Params;
}

/** Float64 leaves of a tensor tree, as one flat list per leaf, for comparisons. */
export function leafData(t: unknown): number[][] {
  return tree.leaves(t).map((l) => Array.from((l as Tensor).data));
}
