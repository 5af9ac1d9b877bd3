import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { scalar, tensor, zeros } from '../src/creation.js';
import { FluxionError } from '../src/errors.js';
import { Tensor } from '../src/tensor.js';
import {
  TreeDef,
  TreeStructureError,
  assertSameStructure,
  flatten,
  isLeaf,
  isNode,
  leafAt,
  leaves,
  map,
  paths,
  structureEqual,
  unflatten,
  withPaths,
  zipWith,
  type LeafOf,
  type MapLeaves,
  type Tree,
} from '../src/tree.js';
import * as tree from '../src/tree.js';

// ---------------------------------------------------------------------------------------------
// Arbitraries: nested records / arrays with number or tensor leaves and occasional nulls.

const keyArb = fc.string({ minLength: 1, maxLength: 3, unit: fc.constantFrom('a', 'b', 'W', '_', '0', '1') });
const leafArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -100, max: 100 }),
  fc.integer({ min: -5, max: 5 }).map((n) => scalar(n)),
);
const { tree: treeArb } = fc.letrec<{ tree: unknown; record: unknown; array: unknown }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    tie('record'),
    tie('array'),
    fc.constant(null),
  ),
  record: fc.dictionary(keyArb, tie('tree'), { maxKeys: 4, noNullPrototype: true }),
  array: fc.array(tie('tree'), { maxLength: 4 }),
}));

type Comp = string | number;

/** Every position in a tree (nodes, leaves, nulls), as component lists, pre-order. */
function positions(t: unknown, at: Comp[] = [], out: Comp[][] = []): Comp[][] {
  out.push(at);
  if (Array.isArray(t)) t.forEach((c, i) => positions(c, [...at, i], out));
  else if (t !== null && typeof t === 'object' && !(t instanceof Tensor)) {
    for (const k of Object.keys(t).sort()) positions((t as Record<string, unknown>)[k], [...at, k], out);
  }
  return out;
}

function getAt(t: unknown, comps: readonly Comp[]): unknown {
  let x = t;
  for (const c of comps) x = (x as Record<Comp, unknown>)[c];
  return x;
}

/** A copy of `t` with the value at `comps` replaced by `fn(old)`; copies only along the path. */
function updateAt(t: unknown, comps: readonly Comp[], fn: (old: unknown) => unknown): unknown {
  if (comps.length === 0) return fn(t);
  const [c, ...rest] = comps;
  if (Array.isArray(t)) {
    const out = t.slice();
    out[c as number] = updateAt(t[c as number], rest, fn);
    return out;
  }
  const rec = t as Record<string, unknown>;
  return { ...rec, [c!]: updateAt(rec[c!], rest, fn) };
}

const pathOf = (comps: readonly Comp[]) => comps.join('/');

function deepFreeze<X>(x: X): X {
  if (Array.isArray(x) || (x !== null && typeof x === 'object' && !(x instanceof Tensor))) {
    for (const v of Object.values(x as object)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

function seedParams() {
  return {
    l3: { b: zeros([1]), W: zeros([8, 1]) },
    l1: { W: zeros([2, 8]), b: zeros([8]) },
    l2: { W: zeros([8, 8]), b: zeros([8]) },
  };
}

// ---------------------------------------------------------------------------------------------

describe('tree: nodes and leaves', () => {
  it('treats plain records and arrays as nodes, everything else as leaves', () => {
    expect(isNode({})).toBe(true);
    expect(isNode(Object.create(null))).toBe(true);
    expect(isNode([1])).toBe(true);
    expect(isNode(Object.freeze([1, 2] as const))).toBe(true);
    for (const x of [1, 'a', true, zeros([2]), new Float32Array(2), new Date(0), new Map(), () => 1, new (class K {})()]) {
      expect(isLeaf(x)).toBe(true);
      expect(leaves({ x })).toEqual([x]);
    }
    expect(isLeaf(null)).toBe(false);
    expect(isLeaf(undefined)).toBe(false);
  });

  it('treats null and undefined as empty nodes that map keeps', () => {
    const t = { a: 1, b: null, c: [undefined, 2] };
    expect(leaves(t)).toEqual([1, 2]);
    expect(paths(t)).toEqual(['a', 'c/1']);
    expect(map(t, (x: number) => x * 10)).toEqual({ a: 10, b: null, c: [undefined, 20] });
    expect(leaves(null)).toEqual([]);
    expect(map(null, (x: number) => x)).toBe(null);
    expect(structureEqual({ a: null }, { a: undefined })).toBe(false);
    expect(structureEqual({ a: 1, b: undefined }, { a: 1 })).toBe(false);
    expect(() => assertSameStructure({ a: null }, { a: undefined })).toThrow(
      "assertSameStructure: tree structures differ at 'a': null in the first tree, undefined in the second",
    );
  });

  it('gives a leaf tree the path "" and wraps it', () => {
    const t = zeros([2]);
    expect(leaves(t)).toEqual([t]);
    expect(paths(t)).toEqual(['']);
    expect(map(5, (x: number, p) => `${x}${p}`)).toBe('5');
    expect(leafAt(7, '')).toBe(7);
  });
});

describe('tree: the seed parameter tree', () => {
  it('lists paths with sorted keys regardless of insertion order', () => {
    const params = seedParams();
    expect(paths(params)).toEqual(['l1/W', 'l1/b', 'l2/W', 'l2/b', 'l3/W', 'l3/b']);
    expect(leaves(params).map((t) => t.shape)).toEqual([[2, 8], [8], [8, 8], [8], [8, 1], [1]]);
    expect(withPaths(params).map(([p, t]) => `${p}:${t.shape.join('x')}`)).toEqual([
      'l1/W:2x8',
      'l1/b:8',
      'l2/W:8x8',
      'l2/b:8',
      'l3/W:8x1',
      'l3/b:1',
    ]);
  });

  it('maps with paths and builds records in sorted key order', () => {
    const params = seedParams();
    const shapes = map(params, (t: Tensor, p) => `${p}=${t.shape.join('x')}`);
    expect(shapes).toEqual({
      l1: { W: 'l1/W=2x8', b: 'l1/b=8' },
      l2: { W: 'l2/W=8x8', b: 'l2/b=8' },
      l3: { W: 'l3/W=8x1', b: 'l3/b=1' },
    });
    expect(Object.keys(shapes)).toEqual(['l1', 'l2', 'l3']);
    expect(Object.keys(shapes.l3)).toEqual(['W', 'b']);
  });

  it('zips params with grads', () => {
    const params = { l1: { W: tensor([1, 2]), b: tensor([3]) } };
    const grads = { l1: { b: tensor([1]), W: tensor([10, 20]) } };
    const next = zipWith(params, grads, (p: Tensor, g: Tensor) => tensor([...p.data].map((v, i) => v - 0.1 * g.data[i]!)));
    expect(next.l1.W.toArray()).toEqual([0, 0].map((_, i) => Math.fround([1, 2][i]! - 0.1 * [10, 20][i]!)));
    expect(next.l1.b.toArray()).toEqual([Math.fround(3 - 0.1)]);
  });

  it('names the first differing path', () => {
    const params = seedParams();
    const { l2, ...rest } = seedParams();
    const grads = { ...rest, l2: { W: l2.W } };
    expect(() => zipWith(params, grads, (p: Tensor) => p)).toThrow(
      "zipWith: tree structures differ at 'l2/b': present in the first tree, missing in the second",
    );
    try {
      zipWith(params, grads, (p: Tensor) => p);
    } catch (e) {
      expect(e).toBeInstanceOf(TreeStructureError);
      expect(e).toBeInstanceOf(FluxionError);
      expect((e as TreeStructureError).path).toBe('l2/b');
      expect((e as TreeStructureError).op).toBe('zipWith');
      expect((e as Error).name).toBe('TreeStructureError');
    }
  });
});

describe('tree: structure errors', () => {
  it('reports missing and extra keys, lengths and leaf/node mismatches', () => {
    const check = (a: unknown, b: unknown) => () => assertSameStructure(a, b, 'op');
    expect(check({ a: 1 }, { a: 1, b: 2 })).toThrow("op: tree structures differ at 'b': missing in the first tree, present in the second");
    expect(check({ x: [1, 2, 3] }, { x: [1, 2] })).toThrow(
      "op: tree structures differ at 'x/2': present in the first tree, missing in the second (arrays of length 3 and 2)",
    );
    expect(check({ a: zeros([2, 3]) }, { a: { W: 1 } })).toThrow(
      "op: tree structures differ at 'a': a leaf (Tensor float32[2, 3]) in the first tree, a record in the second",
    );
    expect(check([1], [[1]])).toThrow("op: tree structures differ at '0': a leaf (number) in the first tree, an array of length 1 in the second");
    expect(check({}, [])).toThrow('op: tree structures differ at the root: a record in the first tree, an array of length 0 in the second');
    expect(check({ a: 1 }, { a: 2 })).not.toThrow();
  });

  it('reports the first difference in traversal order', () => {
    // 'a/x' comes before 'b' and 'c' in traversal order.
    expect(() => assertSameStructure({ a: { x: 1 }, b: 1 }, { a: { x: [1] }, c: 1 })).toThrow(/differ at 'a\/x': a leaf/);
    expect(() => assertSameStructure({ a: { x: 1 }, b: 1 }, { a: { x: 1 }, c: 1 })).toThrow(
      "differ at 'b': present in the first tree, missing in the second",
    );
  });

  it('names the offending tree among several', () => {
    expect(() => zipWith({ a: 1 }, { a: 1 }, { a: 1, z: 2 }, (x: number) => x)).toThrow(
      "zipWith: tree structures differ at 'z': missing in the first tree, present in the third",
    );
  });

  it('checks structures before calling f at all', () => {
    let calls = 0;
    expect(() =>
      zipWith({ a: 1, b: 2 }, { a: 1, b: [2] }, () => {
        calls++;
        return 0;
      }),
    ).toThrow(TreeStructureError);
    expect(calls).toBe(0);
  });

  it('rejects a zipWith without a function', () => {
    expect(() => (zipWith as (...a: unknown[]) => unknown)({ a: 1 }, { a: 1 })).toThrow('zipWith: the last argument must be a function');
  });

  it('property: perturbing one position makes the error name exactly that path', () => {
    fc.assert(
      fc.property(treeArb, fc.nat(), fc.nat(), (t, pick, how) => {
        const all = positions(t);
        const at = all[pick % all.length]!;
        const old = getAt(t, at);
        let expected: string;
        let perturbed: unknown;
        if (Array.isArray(old)) {
          if (how % 2 === 0 || old.length === 0) {
            perturbed = updateAt(t, at, (a) => [...(a as unknown[]), 0]);
            expected = pathOf([...at, old.length]);
          } else {
            perturbed = updateAt(t, at, (a) => (a as unknown[]).slice(0, -1));
            expected = pathOf([...at, old.length - 1]);
          }
        } else if (old !== null && typeof old === 'object' && !(old instanceof Tensor)) {
          const keys = Object.keys(old).sort();
          if (how % 2 === 0 || keys.length === 0) {
            perturbed = updateAt(t, at, (r) => ({ ...(r as object), zz: 1 }));
            expected = pathOf([...at, 'zz']);
          } else {
            const k = keys[how % keys.length]!;
            perturbed = updateAt(t, at, (r) => {
              const { [k]: _, ...rest } = r as Record<string, unknown>;
              return rest;
            });
            expected = pathOf([...at, k]);
          }
        } else {
          // A leaf or null: turn it into something of another kind.
          perturbed = updateAt(t, at, (x) => (x === null ? 1 : how % 2 === 0 ? [] : { q: x }));
          expected = pathOf(at);
        }
        expect(structureEqual(t, perturbed)).toBe(false);
        for (const [a, b] of [
          [t, perturbed],
          [perturbed, t],
        ]) {
          let err: unknown;
          try {
            assertSameStructure(a, b, 'check');
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(TreeStructureError);
          expect((err as TreeStructureError).path).toBe(expected);
          expect((err as Error).message).toContain(expected === '' ? 'at the root' : `at '${expected}'`);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('tree: properties over generated trees', () => {
  it('map with the identity rebuilds an equal tree with the same leaves, and never mutates', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        deepFreeze(t);
        const m = map(t, (x: unknown) => x);
        expect(m).toEqual(t);
        expect(structureEqual(t, m)).toBe(true);
        const a = leaves(t);
        const b = leaves(m);
        expect(b.length).toBe(a.length);
        b.forEach((x, i) => expect(x).toBe(a[i]));
        if (isNode(t)) expect(m).not.toBe(t);
      }),
    );
  });

  it('map calls f once per leaf, in leaves order, with the paths of paths()', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        const seen: [unknown, string][] = [];
        map(t, (x: unknown, p) => {
          seen.push([x, p]);
          return x;
        });
        expect(seen.map(([x]) => x)).toEqual(leaves(t));
        expect(seen.map(([, p]) => p)).toEqual(paths(t));
        expect(withPaths(t)).toEqual(seen.map(([x, p]) => [p, x]));
      }),
    );
  });

  it('leafAt finds every leaf by its path', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        for (const [p, x] of withPaths(t)) expect(leafAt(t, p)).toBe(x);
      }),
    );
  });

  it('flatten / unflatten round-trips and counts leaves', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        deepFreeze(t);
        const { leaves: ls, treedef } = flatten(t);
        expect(ls).toEqual(leaves(t));
        expect(treedef.numLeaves).toBe(ls.length);
        const back = unflatten(treedef, ls);
        expect(back).toEqual(t);
        expect(structureEqual(back, t)).toBe(true);
        expect(flatten(back).treedef.equals(treedef)).toBe(true);
        expect(String(flatten(back).treedef)).toBe(String(treedef));
        expect(() => unflatten(treedef, [...ls, 0])).toThrow(TreeStructureError);
      }),
    );
  });

  it('unflatten of mapped leaves is map', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        const f = (x: unknown) => (x instanceof Tensor ? x.item() : (x as number)) + 1;
        const { leaves: ls, treedef } = flatten(t);
        expect(unflatten(treedef, ls.map(f))).toEqual(map(t, f));
      }),
    );
  });

  it('zipWith pairs leaves at the same paths', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        deepFreeze(t);
        const u = map(t, (_x: unknown, p) => p);
        // Triple is a class, so each result is a leaf and leaves() collects them in order.
        const z = zipWith(t, u, (x: unknown, p: string, path) => new Triple(x, p, path));
        expect(structureEqual(z, t)).toBe(true);
        expect((leaves(z) as Triple[]).map((q) => [q.x, q.p, q.path])).toEqual(withPaths(t).map(([p, x]) => [x, p, p]));
      }),
    );
  });

  it('zipWith of one tree with itself three times keeps the structure', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        const z = zipWith(t, t, t, (a: unknown, b: unknown, c: unknown) => (a === b && b === c ? 1 : 0));
        expect(structureEqual(z, t)).toBe(true);
        expect(leaves(z).every((v) => v === 1)).toBe(true);
      }),
    );
  });
});

class Triple {
  constructor(
    readonly x: unknown,
    readonly p: string,
    readonly path: string,
  ) {}
}

describe('tree: flatten, treedefs and helpers', () => {
  it('prints treedefs readably', () => {
    const { treedef } = flatten({ b: zeros([2]), a: [1, null], 'x-y': { c: undefined } });
    expect(String(treedef)).toBe('TreeDef({a: [*, null], b: *, "x-y": {c: undefined}})');
    expect(treedef.numLeaves).toBe(2);
    expect(treedef).toBeInstanceOf(TreeDef);
    expect(Object.isFrozen(treedef)).toBe(true);
    expect(() => unflatten(treedef, [1])).toThrow(
      'unflatten: TreeDef({a: [*, null], b: *, "x-y": {c: undefined}}) has 2 leaves, but 1 were given',
    );
  });

  it('compares treedefs', () => {
    expect(flatten({ a: 1, b: [2] }).treedef.equals(flatten({ b: ['x'], a: zeros([1]) }).treedef)).toBe(true);
    expect(flatten({ a: 1, b: [2] }).treedef.equals(flatten({ a: 1, b: [2, 3] }).treedef)).toBe(false);
    expect(flatten({ a: 1 }).treedef.equals(flatten({ c: 1 }).treedef)).toBe(false);
  });

  it('handles null-prototype records and a __proto__ key', () => {
    const r = Object.create(null) as Record<string, unknown>;
    r['z'] = 1;
    r['a'] = 2;
    expect(leaves(r)).toEqual([2, 1]);
    const m = map(r, (x: number) => x + 1);
    expect(Object.getPrototypeOf(m)).toBe(Object.prototype);
    expect(m).toEqual({ a: 3, z: 2 });

    const weird = JSON.parse('{"__proto__": {"w": 1}, "b": 2}') as unknown;
    expect(paths(weird)).toEqual(['__proto__/w', 'b']);
    const mw = map(weird, (x: number) => x * 2) as Record<string, unknown>;
    expect(Object.getPrototypeOf(mw)).toBe(Object.prototype);
    expect(Object.keys(mw)).toEqual(['__proto__', 'b']);
    expect(leafAt(mw, '__proto__/w')).toBe(2);
    const { leaves: ls, treedef } = flatten(weird);
    expect(paths(unflatten(treedef, ls))).toEqual(['__proto__/w', 'b']);
  });

  it('leafAt takes component lists for keys with "/" and reports bad paths', () => {
    const t = { 'a/b': { c: 1 }, layers: [{ W: 5 }], n: null };
    expect(paths(t)).toEqual(['a/b/c', 'layers/0/W']);
    expect(leafAt(t, ['a/b', 'c'])).toBe(1);
    expect(leafAt(t, ['layers', 0, 'W'])).toBe(5);
    expect(leafAt(t, 'layers/0/W')).toBe(5);
    expect(() => leafAt(t, 'layers/1/W')).toThrow("leafAt: no index '1' in the array of length 1 at 'layers'");
    expect(() => leafAt(t, 'layers/01/W')).toThrow("no index '01'");
    expect(() => leafAt(t, 'nope')).toThrow("leafAt: no key 'nope' in the record at the root");
    expect(() => leafAt(t, 'layers/0')).toThrow("leafAt: 'layers/0' holds a record, not a leaf");
    expect(() => leafAt(t, 'layers/0/W/x')).toThrow("leafAt: 'layers/0/W' holds a leaf (number), which has no children");
    expect(() => leafAt(t, 'n')).toThrow("'n' holds null, not a leaf");
    expect(() => leafAt(t, 'toString')).toThrow("no key 'toString'");
  });

  it('ignores symbol keys and non-enumerable properties', () => {
    const t = { a: 1, [Symbol('s')]: 2 };
    Object.defineProperty(t, 'hidden', { value: 3, enumerable: false });
    expect(leaves(t)).toEqual([1]);
  });
});

describe('tree: types', () => {
  it('keeps record and tuple shapes in map', () => {
    const params = seedParams();
    type P = ReturnType<typeof seedParams>;
    expectTypeOf(map(params, (t: Tensor) => t)).toEqualTypeOf<P>();
    expectTypeOf(map(params, (t: Tensor) => t.shape.length)).toEqualTypeOf<{
      l3: { b: number; W: number };
      l1: { W: number; b: number };
      l2: { W: number; b: number };
    }>();
    // Unannotated: the leaf type is inferred from the tree.
    map(params, (t, path) => {
      expectTypeOf(t).toEqualTypeOf<Tensor>();
      expectTypeOf(path).toEqualTypeOf<string>();
      return t.ndim;
    });
    const tup = [zeros([1]), 2] as const;
    expectTypeOf(map(tup, (x: Tensor | 2) => String(x))).toEqualTypeOf<readonly [string, string]>();
    expectTypeOf(map({ a: [1, 2] }, (x) => x > 1)).toEqualTypeOf<{ a: boolean[] }>();
  });

  it('keeps optional and null entries and interfaces', () => {
    interface Layer {
      W: Tensor;
      b?: Tensor;
      act: null;
    }
    const layer: Layer = { W: zeros([1]), act: null };
    expectTypeOf(map(layer, (t: Tensor) => t.size)).toEqualTypeOf<{ W: number; b?: number; act: null }>();
    expectTypeOf(map(layer, (t: Tensor) => t)).toEqualTypeOf<Layer>();
  });

  it('types zipWith, leaves, flatten and unflatten', () => {
    const params = seedParams();
    type P = ReturnType<typeof seedParams>;
    expectTypeOf(zipWith(params, params, (p: Tensor, g: Tensor) => (p.size > g.size ? p : g))).toEqualTypeOf<P>();
    expectTypeOf(zipWith(params, params, (p, g) => p.size + g.size)).toEqualTypeOf<MapLeaves<P, Tensor, number>>();
    expectTypeOf(zipWith(params, params, params, (a, b, c, path) => `${a.size}${b.size}${c.size}${path}`)).toEqualTypeOf<
      MapLeaves<P, Tensor, string>
    >();
    expectTypeOf(leaves(params)).toEqualTypeOf<Tensor[]>();
    expectTypeOf(leaves({ a: 1, b: [zeros([1])] })).toEqualTypeOf<(number | Tensor)[]>();
    expectTypeOf(withPaths(params)).toEqualTypeOf<[path: string, leaf: Tensor][]>();
    expectTypeOf(leafAt(params, 'l1/W')).toEqualTypeOf<Tensor>();
    const { leaves: ls, treedef } = flatten(params);
    expectTypeOf(ls).toEqualTypeOf<Tensor[]>();
    expectTypeOf(treedef).toEqualTypeOf<TreeDef<P>>();
    expectTypeOf(unflatten(treedef, ls)).toEqualTypeOf<P>();
    expectTypeOf(unflatten(treedef, ls.map((t) => t.size))).toEqualTypeOf<MapLeaves<P, Tensor, number>>();
    expectTypeOf(unflatten<unknown, number>).returns.toEqualTypeOf<Tree<number>>();
  });

  it('keeps a generic tree type when leaves stay tensors', () => {
    const step = <P,>(params: P, grads: P): P => zipWith(params, grads, (p: Tensor, g: Tensor) => (g.size > 0 ? p : g));
    const scale = <P,>(params: P): P => map(params, (p: Tensor) => p);
    const params = seedParams();
    expectTypeOf(step(params, params)).toEqualTypeOf<ReturnType<typeof seedParams>>();
    expect(paths(scale(params))).toEqual(paths(params));
    const t: Tree<Tensor> = [zeros([1]), { a: zeros([2]) }] as Tree<Tensor>;
    expectTypeOf(map(t, (x: Tensor) => x)).toEqualTypeOf<Tree<Tensor>>();
    expectTypeOf(map(t, (x: Tensor) => x.size)).toEqualTypeOf<Tree<number>>();
    expect(map(t, (x: Tensor) => x.size)).toEqual([1, { a: 2 }]);
    expectTypeOf(map({ w: t }, (x: Tensor) => x.size)).toEqualTypeOf<{ w: Tree<number> }>();
    interface Chain {
      w: Tensor;
      next?: Chain;
      kids: Chain[];
    }
    const chain: Chain = { w: zeros([1]), kids: [] };
    const sizes = map(chain, (x: Tensor) => x.size);
    expectTypeOf(sizes.w).toEqualTypeOf<number>();
    expectTypeOf<NonNullable<(typeof sizes)['kids'][number]['next']>['w']>().toEqualTypeOf<number>();
    expectTypeOf(leaves(chain)).toEqualTypeOf<Tensor[]>();
  });

  it('computes LeafOf and MapLeaves', () => {
    expectTypeOf<LeafOf<{ a: Tensor; b: readonly [number, { c: string }]; d: null; e?: boolean }>>().toEqualTypeOf<
      Tensor | number | string | boolean
    >();
    expectTypeOf<LeafOf<Tree<Tensor>>>().toEqualTypeOf<Tensor>();
    expectTypeOf<MapLeaves<{ l1: { W: Tensor } }, Tensor, number>>().toEqualTypeOf<{ l1: { W: number } }>();
    expectTypeOf<MapLeaves<Tree<Tensor>, Tensor, Tensor>>().toEqualTypeOf<Tree<Tensor>>();
    const t: Tree<Tensor> = { a: [zeros([1]), null], b: { c: zeros([2]) } };
    expectTypeOf(leaves(t)).toEqualTypeOf<Tensor[]>();
  });
});

describe('flattenTogether', () => {
  it("gives each tree's leaves in flatten's order and the common treedef", () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { minLength: 1, maxLength: 5 }), (xs) => {
        const a = { z: xs, a: { y: 1, b: [2, null] } };
        const b = tree.map(a, (v: number) => v * 10);
        const { leaves, treedef } = tree.flattenTogether([a, b]);
        expect(leaves[0]).toEqual(tree.leaves(a));
        expect(leaves[1]).toEqual(tree.leaves(b));
        expect(treedef.equals(tree.flatten(a).treedef)).toBe(true);
        expect(tree.unflatten(treedef, leaves[1]!)).toEqual(b);
      }),
      { numRuns: 30 },
    );
  });

  it('names the first differing path', () => {
    expect(() => tree.flattenTogether([{ l1: { W: 1, b: 2 } }, { l1: { W: 1 } }], 'adam')).toThrow(
      /adam: tree structures differ at 'l1\/b'/,
    );
  });
});
