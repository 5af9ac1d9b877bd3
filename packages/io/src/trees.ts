/**
 * Parameter trees ↔ npz archives, with Chainer's key layout (`l1/W`, `l1/W/m`, `predictor/l1/W`).
 */
import { Tensor, ValueError, random, tree as trees, type DType, type Key } from '@fluxion/core';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { IoError, fmtShape, problem, type Problem } from './errors.js';
import {
  fluxionDTypeOf,
  guard,
  npyFromBoolean,
  npyFromKey,
  npyFromNumber,
  npyFromTensor,
  npyToBoolean,
  npyToKey,
  npyToNumber,
  npyToTensorProblem,
  type NpyArray,
} from './npy.js';
import { formatNpz, openNpz, type LazyNpy } from './npz.js';
import { failAll, failWith, toProblems } from './validate.js';

// ----------------------------------------------------------------------------------------------
// Leaves

/** What a template leaf asks of the file. @internal */
export type LeafSpec =
  | { readonly kind: 'tensor'; readonly dtype: DType; readonly shape: readonly number[] }
  | { readonly kind: 'number' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'key' };

function leafKind(leaf: unknown): string {
  if (leaf === null) return 'null';
  if (typeof leaf === 'object') return (leaf as { constructor?: { name?: string } }).constructor?.name ?? 'object';
  return typeof leaf;
}

function unsupportedLeaf(op: string, path: string, leaf: unknown): never {
  throw new ValueError(
    op,
    `the leaf at '${path}' is a ${leafKind(leaf)}; npz trees hold Tensors, numbers, booleans and random keys`,
  );
}

/** @internal */
export function specOf(leaf: unknown, path: string, op: string): LeafSpec {
  if (leaf instanceof Tensor) return { kind: 'tensor', dtype: leaf.dtype, shape: leaf.shape };
  if (typeof leaf === 'number') return { kind: 'number' };
  if (typeof leaf === 'boolean') return { kind: 'boolean' };
  if (random.isKey(leaf)) return { kind: 'key' };
  return unsupportedLeaf(op, path, leaf);
}

/** @internal */
export function leafToNpy(leaf: unknown, path: string, op: string): NpyArray {
  if (leaf instanceof Tensor) return npyFromTensor(leaf);
  if (typeof leaf === 'number') return npyFromNumber(leaf);
  if (typeof leaf === 'boolean') return npyFromBoolean(leaf);
  if (random.isKey(leaf)) return npyFromKey(leaf);
  return unsupportedLeaf(op, path, leaf);
}

function describeSpec(s: LeafSpec): string {
  switch (s.kind) {
    case 'tensor':
      return `${s.dtype} ${fmtShape(s.shape)}`;
    case 'number':
      return 'a number (0-d array)';
    case 'boolean':
      return 'a boolean (0-d |b1 array)';
    case 'key':
      return 'a random key (<u4 [2])';
  }
}

function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The io-ts codec of one leaf: validates the (lazily parsed) entry and yields the leaf value. */
function leafCodec(spec: LeafSpec, key: string): t.Type<unknown, unknown, unknown> {
  return new t.Type<unknown, unknown, unknown>(
    key,
    (_u): _u is unknown => true,
    (u, c) => {
      if (u === undefined) {
        return failWith(c, 'missing', `missing from the file (expected ${describeSpec(spec)})`, { path: key, expected: describeSpec(spec) });
      }
      const parsed = (u as LazyNpy).parse();
      if (parsed._tag === 'Left') return failAll(c, parsed.left);
      const arr = parsed.right;
      const found = `${arr.descr} ${fmtShape(arr.shape)}`;
      let r: Either<Problem, unknown>;
      switch (spec.kind) {
        case 'tensor': {
          const problems: Problem[] = [];
          const fd = fluxionDTypeOf(arr.descr);
          if (fd !== spec.dtype) {
            problems.push(
              problem('dtype', `dtype mismatch: expected ${spec.dtype}, found ${arr.descr}${fd ? ` (which loads as ${fd})` : ''}`, {
                path: key,
                expected: spec.dtype,
                found: arr.descr,
              }),
            );
          }
          if (!shapesEqual(arr.shape, spec.shape)) {
            problems.push(
              problem('shape', `shape mismatch: expected ${fmtShape(spec.shape)}, found ${fmtShape(arr.shape)}`, {
                path: key,
                expected: fmtShape(spec.shape),
                found: fmtShape(arr.shape),
              }),
            );
          }
          if (problems.length > 0) return failAll(c, problems);
          r = npyToTensorProblem(arr, key);
          break;
        }
        case 'number':
          r = npyToNumber(arr, key);
          break;
        case 'boolean':
          r = npyToBoolean(arr, key);
          break;
        case 'key':
          r = npyToKey(arr, key);
          break;
      }
      if (r._tag === 'Left') return failAll(c, [r.left.path === undefined ? problem(r.left.kind, r.left.message, { path: key, found }) : r.left]);
      return t.success(r.right);
    },
    (a) => a,
  );
}

// ----------------------------------------------------------------------------------------------
// Options and results

/** Options for {@link saveNpz}. */
export interface SaveNpzOptions {
  /** Put every key under this prefix, e.g. `'predictor/'` (a missing trailing `/` is added). Default none. */
  readonly prefix?: string;
  /** Deflate entries like `numpy.savez_compressed` (default false: stored, like `numpy.savez`). */
  readonly compress?: boolean;
}

/** Options for {@link loadNpz}. */
export interface LoadNpzOptions {
  /**
   * Where the tree's keys live in the file, e.g. `'predictor/'` for what `L.Classifier` saves
   * (a missing trailing `/` is added; `''` means the top level). Default: detected (see `loadNpz`).
   */
  readonly prefix?: string;
  /**
   * When true (the default), a key under the prefix that the template does not have is a problem;
   * when false it is ignored and listed in `ignored`. Missing keys are always problems.
   */
  readonly strict?: boolean;
}

/** How the prefix of a load was chosen. */
export type PrefixSource = 'none' | 'given' | 'detected';

/** A successful {@link loadNpz}. */
export interface Loaded<T> {
  /** A fresh tree with the template's structure and the file's values. */
  readonly tree: T;
  /** The prefix the keys were read under (`''` for none, else ending in `/`). */
  readonly prefix: string;
  /** `'given'` by the options, `'detected'` from the file's keys, or `'none'` (top level, not given). */
  readonly prefixSource: PrefixSource;
  /** Keys in the file that were not loaded: outside the prefix, or unexpected with `strict: false`. */
  readonly ignored: readonly string[];
}

function normPrefix(p: string | undefined): string {
  if (p === undefined || p === '') return '';
  return p.endsWith('/') ? p : `${p}/`;
}

/** `[path, leaf]` pairs of a tree, checked: no root leaf, no two leaves with the same path. */
function checkedPaths(tree: unknown, op: string): [string, unknown][] {
  const pairs = trees.withPaths(tree) as [string, unknown][];
  const seen = new Set<string>();
  for (const [p] of pairs) {
    if (p === '') throw new ValueError(op, 'the tree is a single leaf; npz keys need named leaves (use encodeNpy for one tensor)');
    if (seen.has(p)) throw new ValueError(op, `two leaves have the path '${p}' (keys containing '/' collide with nested keys)`);
    seen.add(p);
  }
  return pairs;
}

// ----------------------------------------------------------------------------------------------
// save

/**
 * Encodes a parameter tree as an `.npz` archive with Chainer's layout: one entry per leaf, named
 * by its tree path (`{ l1: { W, b } }` → `l1/W.npy`, `l1/b.npy`; arrays give indices, `layers/0/W`),
 * keys sorted, fixed timestamps, so the same tree always gives the same bytes. This is
 * `chainer.serializers.save_npz('my.model', model)`; numpy and Chainer read the result.
 *
 * Leaves: a Tensor becomes its npy array (`float32`→`<f4`, `float64`→`<f8`, `int32`→`<i4`,
 * `bool`→`|b1`, any shape); a number a 0-d `<i8` when it is a safe integer (not -0), else a 0-d
 * `<f8`; a boolean a 0-d `|b1`; a random Key its two words as `<u4` of shape [2]. `null` and
 * `undefined` nodes write nothing.
 *
 * @example
 * const bytes = saveNpz({ l1: { W, b }, l2: { W: W2, b: b2 } });                 // like save_npz
 * const wrapped = saveNpz(params, { prefix: 'predictor/', compress: true });        // like L.Classifier
 * @throws ValueError for a leaf of another type, a tree that is a single leaf, two leaves with the
 *   same path, or a key with a NUL character; TracerError for abstract tensors.
 */
export function saveNpz(tree: unknown, options: SaveNpzOptions = {}): Uint8Array {
  const prefix = normPrefix(options.prefix);
  const entries: [string, NpyArray][] = checkedPaths(tree, 'saveNpz').map(([p, leaf]) => [prefix + p, leafToNpy(leaf, p, 'saveNpz')]);
  return formatNpz(sortEntries(entries), { compress: options.compress ?? false });
}

/** @internal */
export function sortEntries<V>(entries: [string, V][]): [string, V][] {
  return entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

// ----------------------------------------------------------------------------------------------
// load

function detectPrefix(keys: ReadonlySet<string>, paths: readonly string[]): string {
  if (paths.length === 0) return '';
  const candidates = new Set<string>(['']);
  for (const p of paths.slice(0, 8)) {
    const tail = `/${p}`;
    for (const k of keys) if (k.endsWith(tail)) candidates.add(k.slice(0, k.length - p.length));
  }
  let best = '';
  let bestScore = -1;
  for (const c of candidates) {
    let score = 0;
    for (const p of paths) if (keys.has(c + p)) score++;
    if (score > bestScore || (score === bestScore && c.length < best.length)) {
      best = c;
      bestScore = score;
    }
  }
  return bestScore > 0 ? best : '';
}

/** What loadTree found once the archive opened: problems, or the loaded tree. @internal */
export interface LoadCore<T> {
  readonly problems: readonly Problem[];
  readonly entries: ReadonlyMap<string, LazyNpy>;
  readonly loaded?: Loaded<T>;
}

/** The engine behind loadNpz and loadCheckpoint: Left only when the archive cannot be opened. @internal */
export function loadTree<T>(
  bytes: Uint8Array,
  template: T,
  options: LoadNpzOptions & { readonly allow?: ReadonlySet<string> },
  op: string,
): Either<IoError, LoadCore<T>> {
  const pairs = checkedPaths(template, op);
  const specs = pairs.map(([p, leaf]) => ({ path: p, spec: specOf(leaf, p, op) }));
  const { treedef } = trees.flatten(template);
  return guard(() => {
    const z = openNpz(bytes);
    if (z._tag === 'Left') return z;
    const entries = z.right;
    const keys = new Set(entries.keys());
    let prefix: string;
    let prefixSource: PrefixSource;
    if (options.prefix !== undefined) {
      prefix = normPrefix(options.prefix);
      prefixSource = 'given';
    } else {
      prefix = detectPrefix(
        keys,
        specs.map((s) => s.path),
      );
      prefixSource = prefix === '' ? 'none' : 'detected';
    }
    // io-ts validates every leaf and collects every failure: one codec per template leaf.
    const props: Record<string, t.Mixed> = {};
    const input: Record<string, unknown> = {};
    const wanted = new Set<string>();
    specs.forEach((s, i) => {
      const key = prefix + s.path;
      wanted.add(key);
      props[i] = leafCodec(s.spec, key);
      input[i] = entries.get(key);
    });
    const decoded = t.type(props).decode(input);
    const problems: Problem[] =
      decoded._tag === 'Left' ? toProblems(decoded.left, (e) => problem('format', e.message ?? 'invalid value')) : [];
    const ignored: string[] = [];
    const strict = options.strict ?? true;
    for (const [k, e] of entries) {
      if (wanted.has(k) || options.allow?.has(k)) continue;
      if (!k.startsWith(prefix) || !strict) {
        ignored.push(k);
        continue;
      }
      const p = e.parse();
      const found = p._tag === 'Right' ? `${p.right.descr} ${fmtShape(p.right.shape)}` : undefined;
      problems.push(
        problem('unexpected', `unexpected key in the file${found ? ` (${found})` : ''}: the template has no leaf '${k.slice(prefix.length)}'; pass strict: false to ignore it`, {
          path: k,
          ...(found ? { found } : {}),
        }),
      );
    }
    if (problems.length > 0 || decoded._tag === 'Left') return right({ problems, entries });
    const values = specs.map((_, i) => (decoded.right as Record<string, unknown>)[i]);
    const tree = trees.unflatten(treedef, values) as T;
    return right({ problems, entries, loaded: { tree, prefix, prefixSource, ignored: Object.freeze(ignored) } });
  });
}

/**
 * Loads an `.npz` archive into a tree shaped like `template` (typically the model's freshly
 * initialised params): every leaf of the template is read from the key of its path, and must
 * have the template's dtype and shape (a Tensor), be a 0-d numeric array (a number), a 0-d bool
 * (a boolean) or an integer array of shape [2] with words in [0, 2^32) (a random Key). This is
 * `chainer.serializers.load_npz('my.model', model)`, and reads Chainer's and numpy's files.
 *
 * Prefix: given in the options, or detected: when the template's paths are not at the top level
 * of the file but all (or most) of them sit under one prefix, e.g. `predictor/` as `L.Classifier`
 * saves them, that prefix is used; the result says which (`prefix`, `prefixSource`). Keys outside
 * the prefix are ignored.
 *
 * Dtypes load as `npyToTensor` maps them (`<f2`→float32, `<i8`→int32 when it fits, big-endian and
 * Fortran-order data converted), and must then equal the template's dtype: `<f8` does not load
 * into a float32 leaf.
 *
 * @example
 * const r = loadNpz(bytes, init(key));           // Either<IoError, Loaded<Params>>
 * if (isRight(r)) use(r.right.tree.l1.W);        // like model.l1.W.array after load_npz
 * else console.error(r.left.message);            // every problem, one per line
 * @returns the loaded tree, or an IoError listing every problem at once (corrupt bytes, missing
 *   keys, unexpected keys when strict, dtype and shape mismatches with their path, expected and
 *   found, values that do not fit). A failed load yields no tree at all. Never throws on bad bytes.
 * @throws ValueError only for a bad template: a leaf that is not a Tensor, number, boolean or
 *   Key, a template that is a single leaf, or two leaves with the same path.
 */
export function loadNpz<T>(bytes: Uint8Array, template: T, options: LoadNpzOptions = {}): Either<IoError, Loaded<T>> {
  const r = loadTree(bytes, template, options, 'loadNpz');
  if (r._tag === 'Left') return r;
  return r.right.loaded && r.right.problems.length === 0 ? right(r.right.loaded) : left(new IoError(r.right.problems));
}

/** A random key usable as a template leaf. @internal */
export const KEY_TEMPLATE: Key = random.key(0);
