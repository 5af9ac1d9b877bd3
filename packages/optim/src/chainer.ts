/**
 * Optimizer state ↔ the flat key layout of Chainer's `save_npz(optimizer)`.
 *
 * An optimizer state `{ t, m, v }` maps to
 *
 *     t            the step count
 *     epoch        Chainer's epoch counter (Fluxion does not count epochs; 0 unless given)
 *     l1/W/t       the step count again, once per parameter (Chainer's UpdateRule.t)
 *     l1/W/m       state.m at path 'l1/W'
 *     l1/W/v       state.v at path 'l1/W'
 *
 * and likewise for every slot (`vhat`, `ms`, `h`, momentum's `v`). Counts are int32 scalars; slot
 * tensors keep their dtype. The io package writes such a record as an npz that Chainer's
 * `load_npz(path, optimizer)` reads, and reads Chainer's back.
 */
import { DTypeError, ShapeError, Tensor, TreeStructureError, ValueError, isFloat, scalar, tensor, tree } from '@fluxion/core';
import { assertSame, checkInteger, countOf } from './internal.js';
import type { CountState } from './types.js';

/** Options of `toChainerState`. */
export interface ToChainerStateOptions {
  /**
   * The params: needed for the per-parameter `<path>/t` keys when the state has no slot trees
   * (`sgd`); when given, every slot tree must have their structure.
   */
  readonly params?: unknown;
  /** The value of Chainer's `epoch` key (default 0). */
  readonly epoch?: number;
}

function slotKeys(state: object): string[] {
  return Object.keys(state)
    .filter((k) => k !== 't' && (state as Record<string, unknown>)[k] !== undefined)
    .sort();
}

function keyOf(path: string, slot: string): string {
  return path === '' ? slot : `${path}/${slot}`;
}

/**
 * The state of a built-in optimizer (`{ t, <slot trees> }`) as Chainer's `save_npz(optimizer)`
 * keys: `t`, `epoch`, and per parameter `<path>/t` and `<path>/<slot>` (`l1/W/m`). Keys come in
 * sorted order. For a chain, pass the optimizer's own state: `toChainerState(state[1])`.
 *
 * @example
 * toChainerState(adam().init(params))
 * // { epoch: 0, 'l1/W/m': zeros, 'l1/W/t': 0, 'l1/W/v': zeros, ..., t: 0 }
 * @throws ValueError for a state without an integer count `t`; TreeStructureError when a slot
 *   tree's structure differs from the params' (naming the path); DTypeError for a non-tensor leaf.
 */
export function toChainerState(state: CountState, options: ToChainerStateOptions = {}): Record<string, Tensor> {
  const op = 'toChainerState';
  const t = countOf(op, state);
  const { params, epoch = 0 } = options;
  checkInteger(op, 'epoch', epoch, 0);
  const slots = slotKeys(state);
  const rec = state as unknown as Record<string, unknown>;
  let paths: string[];
  if (params !== undefined) {
    for (const s of slots) assertSame(op, 'params', params, `state.${s}`, rec[s]);
    paths = tree.paths(params);
  } else {
    paths = slots.length > 0 ? tree.paths(rec[slots[0]!]) : [];
  }
  const entries: [string, Tensor][] = [
    ['t', scalar(t, 'int32')],
    ['epoch', scalar(epoch, 'int32')],
  ];
  for (const path of paths) if (path !== '') entries.push([`${path}/t`, scalar(t, 'int32')]);
  for (const s of slots) {
    for (const [path, leaf] of tree.withPaths(rec[s])) {
      if (!(leaf instanceof Tensor)) {
        throw new DTypeError(op, `state.${s} at '${path}' must be a Tensor, got ${typeof leaf}`);
      }
      entries.push([keyOf(path, s), leaf]);
    }
  }
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Record<string, Tensor> = {};
  for (const [k, v] of entries) out[k] = v;
  return out;
}

function countFrom(op: string, key: string, v: Tensor | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (v instanceof Tensor) {
    if (v.size !== 1) throw new ShapeError(op, `'${key}' must hold one number, got shape [${v.shape.join(', ')}]`);
    n = v.item();
  } else throw new ValueError(op, `'${key}' must be a number or a Tensor, got ${typeof v}`);
  if (!Number.isInteger(n) || n < 0) throw new ValueError(op, `'${key}' must be an integer ≥ 0, got ${n}`);
  return n;
}

/**
 * The inverse of `toChainerState`: fills `template` (the state `init` gives for the params, which
 * fixes the slots, shapes and dtypes) from Chainer-style keys, e.g. an npz that Chainer's
 * `save_npz(optimizer)` wrote. Values are converted to the template's dtypes (Chainer saves
 * float64 for float64 params, float32 for float32). Extra keys are ignored, as Chainer does.
 *
 * @example
 * const state = fromChainerState(entries, adam().init(params));
 * @throws TreeStructureError naming the first missing key; ShapeError naming a key whose shape
 *   differs; DTypeError for a non-float slot entry; ValueError for a bad `t`, or a per-parameter
 *   `<path>/t` that differs from `t` (Fluxion keeps one count for all parameters).
 */
export function fromChainerState<S extends CountState>(entries: Readonly<Record<string, Tensor | number>>, template: S): S {
  const op = 'fromChainerState';
  countOf(op, template);
  if (typeof entries !== 'object' || entries === null) throw new ValueError(op, `entries must be a record, got ${entries === null ? 'null' : typeof entries}`);
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(entries, k);
  if (!has('t')) throw new TreeStructureError(op, `no entry 't' (the step count)`, 't');
  const t = countFrom(op, 't', entries.t)!;
  const rec = template as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { ...rec, t };
  for (const s of slotKeys(template)) {
    out[s] = tree.map(rec[s], (leaf: unknown, path: string) => {
      if (!(leaf instanceof Tensor)) throw new DTypeError(op, `template state.${s} at '${path}' must be a Tensor`);
      const key = keyOf(path, s);
      if (!has(key)) throw new TreeStructureError(op, `no entry '${key}' for state.${s} at '${path}'`, key);
      const e = entries[key];
      if (!(e instanceof Tensor)) throw new DTypeError(op, `'${key}' must be a Tensor, got ${typeof e}`);
      if (!isFloat(e.dtype)) throw new DTypeError(op, `'${key}' must be float32 or float64, got ${e.dtype}`);
      const same = e.shape.length === leaf.shape.length && e.shape.every((d, i) => d === leaf.shape[i]);
      if (!same) {
        throw new ShapeError(op, `'${key}' has shape [${e.shape.join(', ')}], the state expects [${leaf.shape.join(', ')}]`);
      }
      if (path !== '') {
        const pt = countFrom(op, `${path}/t`, entries[`${path}/t`]);
        if (pt !== undefined && pt !== t) {
          throw new ValueError(op, `'${path}/t' is ${pt} but 't' is ${t}; Fluxion keeps one step count for all parameters`);
        }
      }
      return e.dtype === leaf.dtype ? e : tensor(e.data as Float32Array | Float64Array, { dtype: leaf.dtype, shape: leaf.shape });
    });
  }
  return out as unknown as S;
}
