/**
 * Parameter trees (JAX's "pytrees"): nested plain records and arrays whose leaves are tensors,
 * numbers or any other value. Models keep their parameters in trees, gradients come back as trees of
 * the same structure, and optimizers walk them with `map` and `zipWith`.
 *
 * What is a node and what is a leaf:
 * - **Records**: objects whose prototype is `Object.prototype` or `null` (`{ W, b }`,
 *   `Object.create(null)`). Children are the own enumerable string keys (symbol keys and
 *   non-enumerable properties are ignored).
 * - **Arrays**: anything `Array.isArray` accepts, including readonly tuples. Children are indices
 *   `0 … length-1` (holes read as `undefined`); extra non-index properties are ignored.
 * - **`null` and `undefined`**: empty nodes, like JAX's `None`. They hold no leaves, `map` keeps
 *   them as they are, and structure checks require the same value (`null` ≠ `undefined`) in the
 *   same place. A record key whose value is `undefined` is still a key: `{ a, b: undefined }` and
 *   `{ a }` have different structures.
 * - **Everything else is a leaf**: Tensors, numbers, strings, booleans, functions, typed arrays
 *   and every class instance (a random Key, a Date, a Map...). Leaves are never looked into.
 *
 * Order: traversal is depth-first; record keys are visited in **sorted** order (`Array.prototype.sort`,
 * i.e. by UTF-16 code units, so `'W' < 'b'` and `'10' < '2'`), array elements by index. The order of
 * `leaves`, `paths`, `flatten` and of the calls `map` makes therefore never depends on the order in
 * which keys were inserted, so it is safe for checkpoints.
 *
 * Paths: the components from the root to a value joined with `'/'`: `'l1/W'`, `'layers/0/b'`; the
 * root itself is `''`. Keys may contain `'/'` (or be empty), but then a path string is ambiguous;
 * nothing is escaped. `flatten`/`unflatten` never use paths, and `leafAt` also takes a list of
 * components for such keys.
 *
 * Immutability: no function here mutates its input. Results are fresh arrays and plain records
 * (prototype `Object.prototype`, keys in sorted order); leaves are shared, not copied. Results are
 * not frozen (for speed); treat them as immutable all the same. Cyclic trees are not detected and
 * overflow the stack.
 */
import type { TypedArray } from './dtype.js';
import { FluxionError, ValueError } from './errors.js';
import { Tensor, describe } from './tensor.js';

// ----------------------------------------------------------------------------------------------
// Types

/**
 * A tree whose leaves have type `L`: a leaf, `null`/`undefined` (empty nodes), a readonly array of
 * trees or a record of trees. Functions in this module accept any value (`T`) and keep its exact
 * type, so interfaces and tuples work too; `Tree<L>` is for annotating trees of unknown shape.
 */
export type Tree<L> = L | null | undefined | readonly Tree<L>[] | { readonly [key: string]: Tree<L> };

/**
 * Types that `LeafOf` treats as leaves. At run time every class instance is a leaf, but types are
 * structural, so a class type cannot be told apart from a record type. Modules that define leaf
 * classes register them here by declaration merging:
 *
 * @example
 * declare module './tree.js' {
 *   interface LeafTypes { key: Key }
 * }
 */
export interface LeafTypes {
  tensor: Tensor;
}

/** Types that are always leaves for `LeafOf`: registered classes, primitives, functions, typed arrays. */
export type KnownLeaf =
  | LeafTypes[keyof LeafTypes]
  | number
  | string
  | boolean
  | bigint
  | symbol
  | ((...args: never[]) => unknown)
  | TypedArray
  | Date;

/**
 * The union of the leaf types of a tree type, e.g. `LeafOf<{ a: Tensor; b: [number] }>` is
 * `Tensor | number`. Object types that are not `KnownLeaf`s are treated as records; `null` and
 * `undefined` contribute nothing. So that recursive types such as `Tree<L>` terminate, it looks at
 * most 16 levels deep (deeper leaves are left out of the union).
 */
export type LeafOf<T> = LeafOfAt<T, []>;

type LeafOfAt<T, D extends readonly unknown[]> = D['length'] extends 16
  ? never
  : T extends null | undefined
    ? never
    : T extends KnownLeaf
      ? T
      : T extends readonly (infer E)[]
        ? LeafOfAt<E, [...D, 0]>
        : T extends object
          ? { [K in keyof T]-?: LeafOfAt<T[K], [...D, 0]> }[keyof T]
          : T;

type Same<X, Y> = (<V>() => V extends X ? 1 : 2) extends <V>() => V extends Y ? 1 : 2 ? true : false;

// `Tree<From>` (or anything wider, such as `unknown`) maps to `Tree<To>`; checked before
// distributing over T's union members, which would otherwise recurse through `Tree` forever.
type MapLeavesInner<T, From, To> = [Tree<From>] extends [T] ? Tree<To> : MapLeavesDist<T, From, To>;

type MapLeavesDist<T, From, To> = T extends From
  ? To
  : T extends null | undefined
    ? T
    : T extends KnownLeaf
      ? T
      : T extends object
        ? { [K in keyof T]: MapLeavesInner<T[K], From, To> }
        : T;

/**
 * `T` with every leaf of type `From` replaced by `To`, keeping records (their keys, optional and
 * readonly markers), arrays and tuples as they are. When `From` and `To` are the same type the
 * result is exactly `T`; a `Tree<From>` (or `unknown`) becomes `Tree<To>`.
 *
 * @example MapLeaves<{ l1: { W: Tensor } }, Tensor, number>   // { l1: { W: number } }
 * @example MapLeaves<readonly [Tensor, Tensor], Tensor, string> // readonly [string, string]
 * @example MapLeaves<Tree<Tensor>, Tensor, number>                // Tree<number>
 */
export type MapLeaves<T, From, To> = Same<From, To> extends true ? T : MapLeavesInner<T, From, To>;

/** The tree `unflatten` rebuilds: `Tree<L>` when the treedef's tree type is unknown. */
export type Unflattened<T, L> = unknown extends T ? Tree<L> : MapLeaves<T, LeafOf<T>, L>;

// ----------------------------------------------------------------------------------------------
// Errors

/**
 * Two trees that should have the same structure do not, a path that does not exist, or leaves that
 * do not fit a treedef. `path` is the first path where things went wrong, when there is one.
 */
export class TreeStructureError extends FluxionError {
  constructor(
    op: string,
    message: string,
    readonly path?: string,
  ) {
    super(op, message);
  }
}

// ----------------------------------------------------------------------------------------------
// Node kinds

const LEAF = 0;
const ARRAY = 1;
const RECORD = 2;
const NULL = 3;
const UNDEF = 4;
type Kind = typeof LEAF | typeof ARRAY | typeof RECORD | typeof NULL | typeof UNDEF;

type Rec = Record<string, unknown>;

function kindOf(x: unknown): Kind {
  if (typeof x !== 'object') return x === undefined ? UNDEF : LEAF;
  if (x === null) return NULL;
  if (Array.isArray(x)) return ARRAY;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null ? RECORD : LEAF;
}

/** True for a leaf: anything that is not a record, an array, `null` or `undefined`. */
export function isLeaf(x: unknown): boolean {
  return kindOf(x) === LEAF;
}

/** True for a tree node: a plain record (prototype `Object.prototype` or `null`) or an array. */
export function isNode(x: unknown): boolean {
  const k = kindOf(x);
  return k === ARRAY || k === RECORD;
}

function sortedKeys(r: object): string[] {
  return Object.keys(r).sort();
}

function join(path: string, key: string | number): string {
  return path === '' ? String(key) : `${path}/${key}`;
}

/** Sets `out[k] = v` as an own data property, even for the key `'__proto__'`. */
function setKey(out: Rec, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true });
  else out[k] = v;
}

// ----------------------------------------------------------------------------------------------
// map / zipWith

function mapRec(x: unknown, path: string, f: (leaf: unknown, path: string) => unknown): unknown {
  switch (kindOf(x)) {
    case LEAF:
      return f(x, path);
    case ARRAY: {
      const a = x as readonly unknown[];
      const n = a.length;
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = mapRec(a[i], join(path, i), f);
      return out;
    }
    case RECORD: {
      const r = x as Rec;
      const keys = sortedKeys(r);
      const out: Rec = {};
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        setKey(out, k, mapRec(r[k], join(path, k), f));
      }
      return out;
    }
    default:
      return x;
  }
}

/**
 * A tree of the same structure with `f(leaf, path)` in place of every leaf. `f` is called once per
 * leaf in `leaves` order; `null`/`undefined` entries are kept. Type: leaves of type `From` become
 * `To`; when `f` returns the leaf type (`Tensor => Tensor`) the result has exactly the input's type.
 * Annotate `f`'s parameter for leaves that are not `KnownLeaf`s (or when `T` is generic).
 *
 * @example
 * const params = { l1: { W: zeros([2, 3]), b: zeros([3]) } };
 * map(params, (t: Tensor) => t.shape.length)   // { l1: { W: 2, b: 1 } }
 * map(params, (t, path) => path)               // { l1: { W: 'l1/W', b: 'l1/b' } }
 */
export function map<T, From = LeafOf<T>, To = From>(tree: T, f: (leaf: From, path: string) => To): MapLeaves<T, From, To> {
  return mapRec(tree, '', f as (leaf: unknown, path: string) => unknown) as MapLeaves<T, From, To>;
}

function zipRec(trees: readonly unknown[], path: string, f: (...args: unknown[]) => unknown): unknown {
  const x = trees[0];
  switch (kindOf(x)) {
    case LEAF: {
      const args = new Array<unknown>(trees.length + 1);
      for (let t = 0; t < trees.length; t++) args[t] = trees[t];
      args[trees.length] = path;
      return f(...args);
    }
    case ARRAY: {
      const n = (x as readonly unknown[]).length;
      const out = new Array<unknown>(n);
      const sub = new Array<unknown>(trees.length);
      for (let i = 0; i < n; i++) {
        for (let t = 0; t < trees.length; t++) sub[t] = (trees[t] as readonly unknown[])[i];
        out[i] = zipRec(sub, join(path, i), f);
      }
      return out;
    }
    case RECORD: {
      const keys = sortedKeys(x as Rec);
      const out: Rec = {};
      const sub = new Array<unknown>(trees.length);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        for (let t = 0; t < trees.length; t++) sub[t] = (trees[t] as Rec)[k];
        setKey(out, k, zipRec(sub, join(path, k), f));
      }
      return out;
    }
    default:
      return x;
  }
}

/**
 * Combines trees of the same structure leaf by leaf: the result has that structure with
 * `f(leafOfA, leafOfB, ..., path)` at every leaf. Trees come first and `f` last; 2, 3 or 4 trees are
 * typed (more work at run time). The structures are checked before `f` is called at all.
 *
 * @example
 * const next = zipWith(params, grads, (p: Tensor, g: Tensor) => sub(p, mul(g, lr)));  // typeof params
 * zipWith({ a: 1, b: [2] }, { a: 10, b: [20] }, (x: number, y: number) => x + y)     // { a: 11, b: [22] }
 * @throws TreeStructureError (op `zipWith`) naming the first path where a tree differs from the
 *   first one, e.g. `zipWith: tree structures differ at 'l2/b': present in the first tree, missing
 *   in the second`; ValueError when the last argument is not a function.
 */
export function zipWith<A, B, FA = LeafOf<A>, FB = LeafOf<B>, R = FA>(
  a: A,
  b: B,
  f: (x: FA, y: FB, path: string) => R,
): MapLeaves<A, FA, R>;
export function zipWith<A, B, C, FA = LeafOf<A>, FB = LeafOf<B>, FC = LeafOf<C>, R = FA>(
  a: A,
  b: B,
  c: C,
  f: (x: FA, y: FB, z: FC, path: string) => R,
): MapLeaves<A, FA, R>;
export function zipWith<A, B, C, D, FA = LeafOf<A>, FB = LeafOf<B>, FC = LeafOf<C>, FD = LeafOf<D>, R = FA>(
  a: A,
  b: B,
  c: C,
  d: D,
  f: (x: FA, y: FB, z: FC, w: FD, path: string) => R,
): MapLeaves<A, FA, R>;
export function zipWith(...args: unknown[]): unknown {
  const f = args[args.length - 1];
  if (typeof f !== 'function') throw new ValueError('zipWith', `the last argument must be a function, got ${typeof f}`);
  const trees = args.slice(0, -1);
  if (trees.length === 0) throw new ValueError('zipWith', 'needs at least one tree before the function');
  checkAll('zipWith', trees);
  return zipRec(trees, '', f as (...a: unknown[]) => unknown);
}

// ----------------------------------------------------------------------------------------------
// leaves / paths / withPaths

function leavesRec(x: unknown, out: unknown[]): void {
  switch (kindOf(x)) {
    case LEAF:
      out.push(x);
      return;
    case ARRAY: {
      const a = x as readonly unknown[];
      for (let i = 0; i < a.length; i++) leavesRec(a[i], out);
      return;
    }
    case RECORD: {
      const r = x as Rec;
      const keys = sortedKeys(r);
      for (let i = 0; i < keys.length; i++) leavesRec(r[keys[i]!], out);
      return;
    }
    default:
      return;
  }
}

/**
 * The leaves, depth-first with record keys in sorted order (see the module doc). A leaf given as
 * the whole tree gives `[leaf]`; `null`/`undefined` give `[]`.
 *
 * @example leaves({ b: 2, a: [1, null, 3] })   // [1, 3, 2]
 */
export function leaves<T>(tree: T): LeafOf<T>[] {
  const out: unknown[] = [];
  leavesRec(tree, out);
  return out as LeafOf<T>[];
}

function withPathsRec(x: unknown, path: string, out: [string, unknown][]): void {
  switch (kindOf(x)) {
    case LEAF:
      out.push([path, x]);
      return;
    case ARRAY: {
      const a = x as readonly unknown[];
      for (let i = 0; i < a.length; i++) withPathsRec(a[i], join(path, i), out);
      return;
    }
    case RECORD: {
      const r = x as Rec;
      const keys = sortedKeys(r);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        withPathsRec(r[k], join(path, k), out);
      }
      return;
    }
    default:
      return;
  }
}

/**
 * The path of every leaf, in `leaves` order: components joined with `'/'`, array indices included;
 * `''` for a tree that is a single leaf.
 *
 * @example paths({ l1: { W, b }, layers: [{ W }] })   // ['l1/W', 'l1/b', 'layers/0/W']
 */
export function paths(tree: unknown): string[] {
  const pairs: [string, unknown][] = [];
  withPathsRec(tree, '', pairs);
  const out = new Array<string>(pairs.length);
  for (let i = 0; i < pairs.length; i++) out[i] = pairs[i]![0];
  return out;
}

/**
 * `[path, leaf]` pairs in `leaves` order (JAX's `tree_flatten_with_path`), e.g. for naming
 * checkpoint entries.
 *
 * @example withPaths({ b: 2, a: [1] })   // [['a/0', 1], ['b', 2]]
 */
export function withPaths<T>(tree: T): [path: string, leaf: LeafOf<T>][] {
  const out: [string, unknown][] = [];
  withPathsRec(tree, '', out);
  return out as [string, LeafOf<T>][];
}

/**
 * The leaf at `path`: a `'/'`-joined string (`'layers/0/W'`, `''` for the root) or a list of
 * components (use the list when keys contain `'/'`). Array components must be integer indices in
 * range.
 *
 * @example leafAt({ layers: [{ W: 5 }] }, 'layers/0/W')        // 5
 * @example leafAt({ 'a/b': { c: 1 } }, ['a/b', 'c'])            // 1
 * @throws TreeStructureError when the path does not exist or ends at a node (record, array,
 *   `null` or `undefined`) rather than a leaf; its message names the deepest part that exists.
 */
export function leafAt<T>(tree: T, path: string | readonly (string | number)[]): LeafOf<T> {
  const comps = typeof path === 'string' ? (path === '' ? [] : path.split('/')) : path;
  let x: unknown = tree;
  let at = '';
  for (const c of comps) {
    const key = String(c);
    const k = kindOf(x);
    if (k === ARRAY) {
      const a = x as readonly unknown[];
      const i = typeof c === 'number' ? c : /^(0|[1-9]\d*)$/.test(key) ? Number(key) : -1;
      if (!Number.isInteger(i) || i < 0 || i >= a.length) {
        throw new TreeStructureError('leafAt', `no index '${key}' in the array of length ${a.length} at ${fmtAt(at)}`, join(at, key));
      }
      x = a[i];
    } else if (k === RECORD) {
      if (!Object.prototype.hasOwnProperty.call(x, key)) {
        throw new TreeStructureError('leafAt', `no key '${key}' in the record at ${fmtAt(at)}`, join(at, key));
      }
      x = (x as Rec)[key];
    } else {
      throw new TreeStructureError('leafAt', `${fmtAt(at)} holds ${describeValue(x)}, which has no children`, at);
    }
    at = join(at, key);
  }
  if (kindOf(x) !== LEAF) {
    throw new TreeStructureError('leafAt', `${fmtAt(at)} holds ${describeValue(x)}, not a leaf`, at);
  }
  return x as LeafOf<T>;
}

// ----------------------------------------------------------------------------------------------
// flatten / unflatten

type DefNode =
  | { readonly k: typeof LEAF | typeof NULL | typeof UNDEF }
  | { readonly k: typeof ARRAY; readonly c: readonly DefNode[] }
  | { readonly k: typeof RECORD; readonly keys: readonly string[]; readonly c: readonly DefNode[] };

const LEAF_DEF: DefNode = Object.freeze({ k: LEAF });
const NULL_DEF: DefNode = Object.freeze({ k: NULL });
const UNDEF_DEF: DefNode = Object.freeze({ k: UNDEF });

/** Reads a TreeDef's private root; set in TreeDef's static block. */
let rootOf: (def: TreeDef<unknown>) => DefNode;

/**
 * The structure of a tree without its leaves, as `flatten` returns it: opaque and immutable.
 * `numLeaves` says how many leaves `unflatten` needs; `toString()` prints it like
 * `TreeDef({l1: {W: *, b: *}, opt: null})` with `*` for each leaf. `T` is the type of the tree it
 * came from, so `unflatten` can give back a typed tree.
 */
export class TreeDef<T = unknown> {
  /** Phantom: the type of the tree this treedef was taken from. Never set. */
  declare readonly _tree?: T;
  /** Number of leaves. */
  readonly numLeaves: number;
  /** @internal */
  readonly #root: DefNode;

  /** @internal Use `flatten`. */
  constructor(root: DefNode, numLeaves: number) {
    this.#root = root;
    this.numLeaves = numLeaves;
    Object.freeze(this);
  }

  static {
    rootOf = (def) => def.#root;
  }

  /** True when `other` describes the same structure (same keys, array lengths, leaf positions). */
  equals(other: TreeDef<unknown>): boolean {
    return defEquals(this.#root, other.#root);
  }

  /** E.g. `TreeDef({l1: {W: *, b: *}, layers: [*, *], opt: null})`. */
  toString(): string {
    return `TreeDef(${defToString(this.#root)})`;
  }
}

function defEquals(a: DefNode, b: DefNode): boolean {
  if (a === b) return true;
  if (a.k !== b.k) return false;
  if (a.k === ARRAY || a.k === RECORD) {
    const bc = (b as { c: readonly DefNode[] }).c;
    if (a.c.length !== bc.length) return false;
    if (a.k === RECORD) {
      const bk = (b as { keys: readonly string[] }).keys;
      for (let i = 0; i < a.keys.length; i++) if (a.keys[i] !== bk[i]) return false;
    }
    for (let i = 0; i < a.c.length; i++) if (!defEquals(a.c[i]!, bc[i]!)) return false;
  }
  return true;
}

function fmtKey(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k);
}

function defToString(d: DefNode): string {
  switch (d.k) {
    case LEAF:
      return '*';
    case NULL:
      return 'null';
    case UNDEF:
      return 'undefined';
    case ARRAY:
      return `[${d.c.map(defToString).join(', ')}]`;
    case RECORD:
      return `{${d.keys.map((k, i) => `${fmtKey(k)}: ${defToString(d.c[i]!)}`).join(', ')}}`;
  }
}

function flattenRec(x: unknown, out: unknown[]): DefNode {
  switch (kindOf(x)) {
    case LEAF:
      out.push(x);
      return LEAF_DEF;
    case NULL:
      return NULL_DEF;
    case UNDEF:
      return UNDEF_DEF;
    case ARRAY: {
      const a = x as readonly unknown[];
      const c = new Array<DefNode>(a.length);
      for (let i = 0; i < a.length; i++) c[i] = flattenRec(a[i], out);
      return { k: ARRAY, c };
    }
    case RECORD: {
      const r = x as Rec;
      const keys = sortedKeys(r);
      const c = new Array<DefNode>(keys.length);
      for (let i = 0; i < keys.length; i++) c[i] = flattenRec(r[keys[i]!], out);
      return { k: RECORD, keys, c };
    }
  }
}

/**
 * Splits a tree into its leaves (in `leaves` order) and its structure. `unflatten(treedef, leaves)`
 * rebuilds an equal tree (fresh records and arrays, same leaves).
 *
 * @example
 * const { leaves, treedef } = flatten({ b: zeros([2]), a: [1, null] });
 * // leaves: [1, Tensor]; String(treedef): 'TreeDef({a: [*, null], b: *})'; treedef.numLeaves: 2
 */
export function flatten<T>(tree: T): { leaves: LeafOf<T>[]; treedef: TreeDef<T> } {
  const out: unknown[] = [];
  const root = flattenRec(tree, out);
  return { leaves: out as LeafOf<T>[], treedef: new TreeDef<T>(root, out.length) };
}

/** Walks `trees` together; the common structure, or null at the first difference. */
function flattenManyRec(trees: readonly unknown[], out: unknown[][]): DefNode | null {
  const x = trees[0];
  const k = kindOf(x);
  const n = trees.length;
  for (let t = 1; t < n; t++) if (kindOf(trees[t]) !== k) return null;
  switch (k) {
    case LEAF:
      for (let t = 0; t < n; t++) out[t]!.push(trees[t]);
      return LEAF_DEF;
    case NULL:
      return NULL_DEF;
    case UNDEF:
      return UNDEF_DEF;
    case ARRAY: {
      const len = (x as readonly unknown[]).length;
      for (let t = 1; t < n; t++) if ((trees[t] as readonly unknown[]).length !== len) return null;
      const c = new Array<DefNode>(len);
      const sub = new Array<unknown>(n);
      for (let i = 0; i < len; i++) {
        for (let t = 0; t < n; t++) sub[t] = (trees[t] as readonly unknown[])[i];
        const d = flattenManyRec(sub, out);
        if (d === null) return null;
        c[i] = d;
      }
      return { k: ARRAY, c };
    }
    case RECORD: {
      const keys = sortedKeys(x as object);
      for (let t = 1; t < n; t++) {
        const r = trees[t] as object;
        if (Object.keys(r).length !== keys.length) return null;
        for (let i = 0; i < keys.length; i++) if (!Object.prototype.propertyIsEnumerable.call(r, keys[i]!)) return null;
      }
      const c = new Array<DefNode>(keys.length);
      const sub = new Array<unknown>(n);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        for (let t = 0; t < n; t++) sub[t] = (trees[t] as Rec)[key];
        const d = flattenManyRec(sub, out);
        if (d === null) return null;
        c[i] = d;
      }
      return { k: RECORD, keys, c };
    }
  }
}

/**
 * Flattens several trees of one structure in a single walk, sorting each record's keys once: the
 * leaves of each tree (in `leaves` order) and their common treedef. What an optimizer does with
 * params, gradients and state slots on every step; `unflatten(treedef, ...)` rebuilds results.
 *
 * @example
 * const { leaves: [ps, gs], treedef } = flattenTogether([params, grads]);
 * @throws TreeStructureError naming the first path where a tree differs from the first one.
 */
export function flattenTogether(trees: readonly unknown[], op = 'flattenTogether'): { leaves: unknown[][]; treedef: TreeDef<unknown> } {
  if (trees.length === 0) throw new ValueError(op, 'needs at least one tree');
  const out = trees.map(() => [] as unknown[]);
  const root = flattenManyRec(trees, out);
  if (root === null) {
    checkAll(op, trees);
    throw new TreeStructureError(op, 'the tree structures differ');
  }
  return { leaves: out, treedef: new TreeDef(root, out[0]!.length) };
}

/**
 * Rebuilds a tree of `treedef`'s structure from `leaves`, taken in `leaves` order. The leaves may
 * have another type than the original ones (`unflatten(def, leaves.map(f))` is `map`).
 *
 * @example
 * const { leaves, treedef } = flatten(params);
 * unflatten(treedef, leaves.map((t) => t.size))   // params with each tensor's size at its place
 * @throws TreeStructureError when `leaves.length` differs from `treedef.numLeaves`; ValueError when
 *   `treedef` is not a TreeDef.
 */
export function unflatten<T, L = LeafOf<T>>(treedef: TreeDef<T>, leaves: readonly L[]): Unflattened<T, L> {
  if (!(treedef instanceof TreeDef)) throw new ValueError('unflatten', 'the first argument must be a TreeDef from flatten()');
  if (leaves.length !== treedef.numLeaves) {
    throw new TreeStructureError(
      'unflatten',
      `${treedef} has ${treedef.numLeaves} leaves, but ${leaves.length} were given`,
    );
  }
  let pos = 0;
  const build = (d: DefNode): unknown => {
    switch (d.k) {
      case LEAF:
        return leaves[pos++];
      case NULL:
        return null;
      case UNDEF:
        return undefined;
      case ARRAY: {
        const out = new Array<unknown>(d.c.length);
        for (let i = 0; i < d.c.length; i++) out[i] = build(d.c[i]!);
        return out;
      }
      case RECORD: {
        const out: Rec = {};
        for (let i = 0; i < d.keys.length; i++) setKey(out, d.keys[i]!, build(d.c[i]!));
        return out;
      }
    }
  };
  return build(rootOf(treedef)) as Unflattened<T, L>;
}

// ----------------------------------------------------------------------------------------------
// Structure comparison

interface Diff {
  readonly path: string;
  readonly what: string;
}

function fmtAt(path: string): string {
  return path === '' ? 'the root' : `'${path}'`;
}

function describeValue(x: unknown): string {
  switch (kindOf(x)) {
    case NULL:
      return 'null';
    case UNDEF:
      return 'undefined';
    case ARRAY:
      return `an array of length ${(x as readonly unknown[]).length}`;
    case RECORD:
      return 'a record';
    case LEAF:
      if (x instanceof Tensor) return `a leaf (Tensor ${describe(x)})`;
      if (typeof x === 'object' || typeof x === 'function') {
        const name = (x as { constructor?: { name?: unknown } }).constructor?.name;
        return `a leaf (${typeof name === 'string' && name !== '' ? name : typeof x})`;
      }
      return `a leaf (${typeof x})`;
  }
}

/** The first place, in traversal order over the union of both trees' paths, where `a` and `b` differ. */
function diffRec(a: unknown, b: unknown, path: string, na: string, nb: string): Diff | null {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka !== kb) return { path, what: `${describeValue(a)} in the ${na} tree, ${describeValue(b)} in the ${nb}` };
  if (ka === ARRAY) {
    const aa = a as readonly unknown[];
    const ba = b as readonly unknown[];
    const n = Math.min(aa.length, ba.length);
    for (let i = 0; i < n; i++) {
      const d = diffRec(aa[i], ba[i], join(path, i), na, nb);
      if (d) return d;
    }
    if (aa.length !== ba.length) {
      const lens = `(arrays of length ${aa.length} and ${ba.length})`;
      return {
        path: join(path, n),
        what:
          aa.length > ba.length
            ? `present in the ${na} tree, missing in the ${nb} ${lens}`
            : `missing in the ${na} tree, present in the ${nb} ${lens}`,
      };
    }
  } else if (ka === RECORD) {
    const ar = a as Rec;
    const br = b as Rec;
    const ak = sortedKeys(ar);
    const bk = sortedKeys(br);
    let i = 0;
    let j = 0;
    while (i < ak.length || j < bk.length) {
      const x = ak[i];
      const y = bk[j];
      if (x !== undefined && (y === undefined || x < y)) {
        return { path: join(path, x), what: `present in the ${na} tree, missing in the ${nb}` };
      }
      if (y !== undefined && (x === undefined || y < x)) {
        return { path: join(path, y), what: `missing in the ${na} tree, present in the ${nb}` };
      }
      const d = diffRec(ar[x!], br[x!], join(path, x!), na, nb);
      if (d) return d;
      i++;
      j++;
    }
  }
  return null;
}

const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth'];

function ordinal(i: number): string {
  return ORDINALS[i] ?? `#${i + 1}`;
}

function checkAll(op: string, trees: readonly unknown[]): void {
  for (let t = 1; t < trees.length; t++) {
    const d = diffRec(trees[0], trees[t], '', 'first', ordinal(t));
    if (d) throw new TreeStructureError(op, `tree structures differ at ${fmtAt(d.path)}: ${d.what}`, d.path);
  }
}

/**
 * True when both trees have the same structure: the same record keys, array lengths, leaf
 * positions and `null`/`undefined` entries. Leaves themselves (values, tensor shapes) are not
 * compared.
 *
 * @example structureEqual({ a: 1, b: [2] }, { b: [zeros([3])], a: 'x' })   // true
 * @example structureEqual({ a: 1 }, { a: [1] })                            // false
 */
export function structureEqual(a: unknown, b: unknown): boolean {
  return diffRec(a, b, '', 'first', 'second') === null;
}

/**
 * Throws unless `a` and `b` have the same structure (see `structureEqual`). The error names the
 * first differing path in traversal order and what differs there: a key present in one tree only, an
 * array index beyond the other's length, or a leaf/node/`null` against something else.
 *
 * @example assertSameStructure(params, grads, 'sgd')
 * // TreeStructureError: sgd: tree structures differ at 'l2/b': present in the first tree, missing in the second
 * @throws TreeStructureError whose `op` is `op` and whose `path` is the differing path.
 */
export function assertSameStructure(a: unknown, b: unknown, op = 'assertSameStructure'): void {
  checkAll(op, [a, b]);
}
