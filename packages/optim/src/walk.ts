/**
 * Flattening several trees of one structure in a single walk, and rebuilding trees of that
 * structure: what `update` does with grads, params and state slots on every step.
 *
 * Core's `tree` module gives the same results (`assertSameStructure` per pair, `flatten`, `leaves`,
 * `unflatten` per tree), but each of those walks sorts every record's keys again: ten walks per
 * Adam update. Here one walk sorts each record's keys once, checks the other trees against them,
 * and collects every tree's leaves. The node rules are core's (see `@fluxion/core`'s tree module):
 * plain records (prototype `Object.prototype` or `null`) and arrays are nodes, `null` and
 * `undefined` are empty nodes, everything else is a leaf; record keys in sorted order. On any
 * mismatch, core's `assertSameStructure` is called to report it, so errors read as core's do.
 */
import { TreeStructureError } from '@fluxion/core';
import { assertSame } from './internal.js';

const LEAF = 0;
const ARRAY = 1;
const RECORD = 2;
const NULL = 3;
const UNDEF = 4;
type Kind = typeof LEAF | typeof ARRAY | typeof RECORD | typeof NULL | typeof UNDEF;

function kindOf(x: unknown): Kind {
  if (typeof x !== 'object') return x === undefined ? UNDEF : LEAF;
  if (x === null) return NULL;
  if (Array.isArray(x)) return ARRAY;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null ? RECORD : LEAF;
}

/** The structure of a tree without its leaves. */
export type Skeleton =
  | typeof LEAF
  | typeof NULL
  | typeof UNDEF
  | { readonly kind: typeof ARRAY; readonly children: readonly Skeleton[] }
  | { readonly kind: typeof RECORD; readonly keys: readonly string[]; readonly children: readonly Skeleton[] };

type Rec = Record<string, unknown>;

/** Walks `trees` together; returns the skeleton, or null at the first structural difference. */
function walk(trees: readonly unknown[], out: unknown[][]): Skeleton | null {
  const x = trees[0];
  const k = kindOf(x);
  const n = trees.length;
  for (let t = 1; t < n; t++) if (kindOf(trees[t]) !== k) return null;
  switch (k) {
    case LEAF:
      for (let t = 0; t < n; t++) out[t]!.push(trees[t]);
      return LEAF;
    case NULL:
    case UNDEF:
      return k;
    case ARRAY: {
      const len = (x as readonly unknown[]).length;
      for (let t = 1; t < n; t++) if ((trees[t] as readonly unknown[]).length !== len) return null;
      const children = new Array<Skeleton>(len);
      const sub = new Array<unknown>(n);
      for (let i = 0; i < len; i++) {
        for (let t = 0; t < n; t++) sub[t] = (trees[t] as readonly unknown[])[i];
        const c = walk(sub, out);
        if (c === null) return null;
        children[i] = c;
      }
      return { kind: ARRAY, children };
    }
    case RECORD: {
      const keys = Object.keys(x as object).sort();
      for (let t = 1; t < n; t++) {
        const r = trees[t] as object;
        if (Object.keys(r).length !== keys.length) return null;
        for (let i = 0; i < keys.length; i++) if (!Object.prototype.propertyIsEnumerable.call(r, keys[i]!)) return null;
      }
      const children = new Array<Skeleton>(keys.length);
      const sub = new Array<unknown>(n);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        for (let t = 0; t < n; t++) sub[t] = (trees[t] as Rec)[key];
        const c = walk(sub, out);
        if (c === null) return null;
        children[i] = c;
      }
      return { kind: RECORD, keys, children };
    }
  }
}

/**
 * The leaves of every tree (in core's `leaves` order) and their common skeleton.
 * @throws TreeStructureError (from core's check, with `names` saying which tree is which) naming
 *   the first path where a tree differs from `trees[0]`.
 */
export function flattenTogether(
  op: string,
  names: readonly string[],
  trees: readonly unknown[],
): { leaves: unknown[][]; skeleton: Skeleton } {
  const out = trees.map(() => [] as unknown[]);
  const skeleton = walk(trees, out);
  if (skeleton === null) {
    for (let t = 1; t < trees.length; t++) assertSame(op, names[0]!, trees[0], names[t]!, trees[t]);
    throw new TreeStructureError(op, `the tree structures of ${names.join(', ')} differ`);
  }
  return { leaves: out, skeleton };
}

/** A tree of `skeleton`'s structure with `leaves` in order: fresh records (sorted keys) and arrays. */
export function build<T>(skeleton: Skeleton, leaves: readonly unknown[]): T {
  let pos = 0;
  const rec = (s: Skeleton): unknown => {
    if (s === LEAF) return leaves[pos++];
    if (s === NULL) return null;
    if (s === UNDEF) return undefined;
    if (s.kind === ARRAY) {
      const a = new Array<unknown>(s.children.length);
      for (let i = 0; i < a.length; i++) a[i] = rec(s.children[i]!);
      return a;
    }
    const r: Rec = {};
    for (let i = 0; i < s.keys.length; i++) {
      const key = s.keys[i]!;
      const v = rec(s.children[i]!);
      if (key === '__proto__') Object.defineProperty(r, key, { value: v, writable: true, enumerable: true, configurable: true });
      else r[key] = v;
    }
    return r;
  };
  return rec(skeleton) as T;
}
