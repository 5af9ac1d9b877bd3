/** saveNpz / loadNpz and checkpoints: layout, prefixes, validation with every problem at once, round trips. */
import { ValueError, random, tensor, zeros } from '@fluxion/core';
import {
  decodeNpz,
  loadCheckpoint,
  loadNpz,
  parseNpz,
  readZip,
  saveCheckpoint,
  saveNpz,
  type Checkpoint,
} from '@fluxion/io';
import fc from 'fast-check';
import * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import { anyTree, bitEqual, leftOf, pathsUnique, right } from './helpers.js';

const params = () => ({
  l1: { W: tensor([[1], [2], [3]]), b: tensor([0.1, 0.2, 0.3]) },
  l2: { W: tensor([[1, 2, 3]]), b: tensor([0.5]) },
});

describe('saveNpz', () => {
  it("writes Chainer's layout: one <path>.npy per leaf, keys sorted, numpy dtypes", () => {
    const bytes = saveNpz({ l2: params().l2, l1: params().l1 });
    expect(right(readZip(bytes)).map((e) => e.name)).toEqual(['l1/W.npy', 'l1/b.npy', 'l2/W.npy', 'l2/b.npy']);
    const arrays = right(parseNpz(bytes));
    expect(arrays.get('l1/W')).toMatchObject({ descr: '<f4', shape: [3, 1], fortranOrder: false });
  });

  it('is deterministic: the same tree gives the same bytes, whatever the key insertion order', () => {
    const a = saveNpz(params(), { compress: true });
    const p = params();
    const b = saveNpz({ l2: { b: p.l2.b, W: p.l2.W }, l1: { b: p.l1.b, W: p.l1.W } }, { compress: true });
    expect(b).toEqual(a);
    expect(saveNpz(params())).toEqual(saveNpz(params()));
  });

  it('encodes numbers (<i8 or <f8), booleans (|b1) and random keys (<u4 [2]) as numpy arrays', () => {
    const arrays = right(parseNpz(saveNpz({ t: 200, lr: 0.001, negZero: -0, flag: true, key: random.key(7), ints: zeros([2], 'int32') })));
    expect(arrays.get('t')).toMatchObject({ descr: '<i8', shape: [] });
    expect(arrays.get('lr')).toMatchObject({ descr: '<f8', shape: [] });
    expect(arrays.get('negZero')).toMatchObject({ descr: '<f8', shape: [] });
    expect(arrays.get('flag')).toMatchObject({ descr: '|b1', shape: [] });
    expect(arrays.get('key')).toMatchObject({ descr: '<u4', shape: [2] });
    expect(arrays.get('ints')).toMatchObject({ descr: '<i4', shape: [2] });
  });

  it('puts keys under a prefix (predictor/), adding the trailing slash', () => {
    const names = right(readZip(saveNpz(params(), { prefix: 'predictor' }))).map((e) => e.name);
    expect(names[0]).toBe('predictor/l1/W.npy');
  });

  it('throws ValueError for programmer errors: unsupported leaves, a bare leaf, colliding paths', () => {
    expect(() => saveNpz({ a: 'text' })).toThrow(/leaf at 'a' is a string/);
    expect(() => saveNpz(tensor([1]))).toThrow(ValueError);
    expect(() => saveNpz({ 'a/b': tensor([1]), a: { b: tensor([2]) } })).toThrow(/two leaves have the path 'a\/b'/);
  });
});

describe('loadNpz', () => {
  it('loads into a fresh tree of the template’s structure, with the file’s values', () => {
    const template = { l1: { W: zeros([3, 1]), b: zeros([3]) }, l2: { W: zeros([1, 3]), b: zeros([1]) } };
    const r = right(loadNpz(saveNpz(params()), template));
    expect(bitEqual(r.tree, params())).toBe(true);
    expect(r.tree).not.toBe(template);
    expect(Array.from(template.l1.b.data)).toEqual([0, 0, 0]);
  });

  it('reports every problem at once: missing, unexpected, shape and dtype, with path, expected and found', () => {
    const file = saveNpz({
      l1: { W: zeros([1, 3]), b: zeros([3], 'float64') },
      l2: { W: zeros([1, 3]) },
      extra: zeros([2]),
    });
    const template = { l1: { W: zeros([3, 1]), b: zeros([3]) }, l2: { W: zeros([1, 3]), b: zeros([1]) } };
    const err = leftOf(loadNpz(file, template));
    expect(err.problems).toEqual([
      { kind: 'shape', path: 'l1/W', expected: '[3, 1]', found: '[1, 3]', message: 'l1/W: shape mismatch: expected [3, 1], found [1, 3]' },
      {
        kind: 'dtype',
        path: 'l1/b',
        expected: 'float32',
        found: '<f8',
        message: 'l1/b: dtype mismatch: expected float32, found <f8 (which loads as float64)',
      },
      { kind: 'missing', path: 'l2/b', expected: 'float32 [1]', message: 'l2/b: missing from the file (expected float32 [1])' },
      {
        kind: 'unexpected',
        path: 'extra',
        found: '<f4 [2]',
        message: "extra: unexpected key in the file (<f4 [2]): the template has no leaf 'extra'; pass strict: false to ignore it",
      },
    ]);
    expect(err.message).toMatch(/^4 problems:\n {2}- l1\/W: shape mismatch/);
  });

  it('strict: false ignores unexpected keys and lists them; missing keys are still errors', () => {
    const file = saveNpz({ a: zeros([2]), extra: zeros([1]) });
    const r = right(loadNpz(file, { a: zeros([2]) }, { strict: false }));
    expect(r.ignored).toEqual(['extra']);
    expect(leftOf(loadNpz(file, { a: zeros([2]), b: zeros([1]) }, { strict: false })).problems[0]!.kind).toBe('missing');
  });

  it('numbers, booleans and keys are checked too', () => {
    const file = saveNpz({ n: 3, b: true, k: random.key(1), v: zeros([2]) });
    const err = leftOf(loadNpz(file, { n: true, b: 1, k: zeros([2]), v: random.key(0) }));
    expect(err.problems.map((p) => [p.path, p.kind])).toEqual([
      ['b', 'dtype'],
      ['k', 'dtype'],
      ['n', 'dtype'],
      ['v', 'dtype'],
    ]);
  });

  it('a corrupt entry is a problem of that key; nothing is loaded', () => {
    const good = saveNpz(params());
    const bad = good.slice();
    // Flip a byte inside l1/b's data (a stored archive: the CRC catches it).
    const at = indexOfEntryData(good, 'l1/b.npy') + 130;
    bad[at] = bad[at]! ^ 0xff;
    const err = leftOf(loadNpz(bad, params()));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatchObject({ kind: 'format', path: 'l1/b' });
    expect(err.message).toMatch(/CRC-32 mismatch/);
  });

  it('throws ValueError for a bad template (a programmer error), even before reading', () => {
    expect(() => loadNpz(new Uint8Array(0), { a: 'x' })).toThrow(ValueError);
  });

  it('keys with slashes, array indices and non-ASCII names round-trip', () => {
    const tree = { 'a/b': { c: zeros([1]) }, layers: [{ W: zeros([2]) }, { W: zeros([3]) }], 'é€': zeros([1]) };
    expect([...right(decodeNpz(saveNpz(tree))).keys()]).toEqual(['a/b/c', 'layers/0/W', 'layers/1/W', 'é€']);
    expect(bitEqual(right(loadNpz(saveNpz(tree), tree)).tree, tree)).toBe(true);
  });

  it('property: any tree → bytes (stored or deflate) → the same tree, bit for bit', () => {
    fc.assert(
      fc.property(anyTree.filter(pathsUnique), fc.boolean(), (tree, compress) => {
        const bytes = saveNpz(tree, { compress });
        const back = right(loadNpz(bytes, tree));
        expect(back.ignored).toEqual([]);
        expect(bitEqual(back.tree, tree)).toBe(true);
        expect(saveNpz(back.tree, { compress })).toEqual(bytes);
      }),
      { numRuns: 150 },
    );
  });
});

function indexOfEntryData(zip: Uint8Array, name: string): number {
  const needle = new TextEncoder().encode(name);
  outer: for (let i = 0; i < zip.length; i++) {
    for (let j = 0; j < needle.length; j++) if (zip[i + j] !== needle[j]) continue outer;
    return i + needle.length + 20; // name, then the 20-byte zip64 extra
  }
  return -1;
}

describe('checkpoints', () => {
  const adamState = () => ({
    t: 3,
    l1: { W: { m: zeros([3, 1]), v: tensor([[1], [2], [3]]) }, b: { m: zeros([3]), v: zeros([3]) } },
    l2: { W: { m: zeros([1, 3]), v: zeros([1, 3]) }, b: { m: zeros([1]), v: zeros([1]) } },
  });
  const ckpt = (): Checkpoint<ReturnType<typeof params>, ReturnType<typeof adamState>, unknown> => ({
    params: params(),
    optState: adamState(),
    step: 1234,
    key: random.foldIn(random.key(0), 5),
    metadata: { lr: 0.001, model: 'MyChain', note: 'ünïcødé ✓ 😀', history: [1, 0.5, 0.25] },
  });

  it("layout: params/…, optimizer/… in Chainer's optimizer layout, step, key, metadata, version", () => {
    const names = right(readZip(saveCheckpoint(ckpt()))).map((e) => e.name);
    expect(names).toEqual([
      'fluxion_checkpoint.npy',
      'key.npy',
      'metadata.npy',
      'optimizer/l1/W/m.npy',
      'optimizer/l1/W/v.npy',
      'optimizer/l1/b/m.npy',
      'optimizer/l1/b/v.npy',
      'optimizer/l2/W/m.npy',
      'optimizer/l2/W/v.npy',
      'optimizer/l2/b/m.npy',
      'optimizer/l2/b/v.npy',
      'optimizer/t.npy',
      'params/l1/W.npy',
      'params/l1/b.npy',
      'params/l2/W.npy',
      'params/l2/b.npy',
      'step.npy',
    ]);
    // The params part loads like any Chainer model file with a path prefix.
    expect(bitEqual(right(loadNpz(saveCheckpoint(ckpt()), params(), { prefix: 'params/' })).tree, params())).toBe(true);
  });

  it('loads back exactly the same values (stored and compressed)', () => {
    for (const compress of [false, true]) {
      const c = ckpt();
      const back = right(loadCheckpoint(saveCheckpoint(c, { compress }), { params: params(), optState: adamState() }));
      expect(bitEqual(back.params, c.params)).toBe(true);
      expect(bitEqual(back.optState, c.optState)).toBe(true);
      expect(back.step).toBe(1234);
      expect([back.key.k0, back.key.k1]).toEqual([c.key.k0, c.key.k1]);
      expect(back.metadata).toEqual(c.metadata);
    }
  });

  it('optimizer state may be null (plain SGD) and metadata absent', () => {
    const c = { params: params(), optState: null, step: 0, key: random.key(1) };
    const back = right(loadCheckpoint(saveCheckpoint(c), { params: params(), optState: null }));
    expect(back.optState).toBeNull();
    expect('metadata' in back).toBe(false);
  });

  it('validates metadata with an io-ts codec, together with every other problem', () => {
    const Meta = t.type({ lr: t.number, model: t.literal('MLP') });
    const bytes = saveCheckpoint(ckpt());
    const err = leftOf(loadCheckpoint(bytes, { params: { ...params(), l3: { W: zeros([1]) } }, optState: adamState() }, { metadata: Meta }));
    expect(err.problems.map((p) => [p.kind, p.path])).toEqual([
      ['missing', 'params/l3/W'],
      ['value', 'metadata/model'],
    ]);
    const ok = right(loadCheckpoint(bytes, { params: params(), optState: adamState() }, { metadata: t.type({ lr: t.number }) }));
    expect(ok.metadata?.lr).toBe(0.001);
  });

  it('refuses files that are not checkpoints, naming what is missing', () => {
    const err = leftOf(loadCheckpoint(saveNpz(params()), { params: params(), optState: null }));
    expect(err.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['fluxion_checkpoint', 'key', 'params/l1/W', 'step']));
  });

  it('property: random checkpoints round-trip bit for bit', () => {
    fc.assert(
      fc.property(
        anyTree.filter(pathsUnique),
        anyTree.filter(pathsUnique),
        fc.maxSafeNat(),
        fc.nat({ max: 0xffffffff }),
        fc.jsonValue(),
        (p, s, step, w, meta) => {
          const c = { params: p, optState: s, step, key: random.keyFromData([w, 12345]), metadata: meta };
          const back = right(loadCheckpoint(saveCheckpoint(c, { compress: step % 2 === 0 }), { params: p, optState: s }));
          expect(bitEqual(back.params, p) && bitEqual(back.optState, s)).toBe(true);
          expect(back.step).toBe(step);
          expect(back.key.k0).toBe(w);
          expect(back.metadata).toEqual(JSON.parse(JSON.stringify(meta)));
        },
      ),
      { numRuns: 60 },
    );
  });
});
