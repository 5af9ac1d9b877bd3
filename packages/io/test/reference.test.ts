/**
 * Files written by real numpy (1.24 and 2.4) and Chainer 7.8.1 (fixtures/, copied from the
 * project's reference data; extra_* made by fixtures/make_extra.py) read correctly, checked
 * against the expected values numpy itself recorded.
 */
import { readFileSync } from 'node:fs';
import { Tensor, add, leakyRelu, matmul, tensor, transpose, type DType } from '@fluxion/core';
import {
  decodeNpy,
  decodeNpz,
  fluxionDTypeOf,
  formatNpy,
  formatNpz,
  loadNpz,
  npyToTensor,
  parseNpy,
  parseNpz,
  readZip,
  writeZip,
  type NpyArray,
} from '@fluxion/io';
import { describe, expect, it } from 'vitest';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const json = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));

interface Expected {
  dtype: string;
  shape: number[];
  fortran: boolean;
  data: (number | boolean | string)[];
}

function right<E, A>(e: { _tag: 'Left'; left: E } | { _tag: 'Right'; right: A }): A {
  if (e._tag === 'Left') throw new Error(`expected Right, got Left: ${String((e.left as { message?: string }).message ?? e.left)}`);
  return e.right;
}

function leftOf<E, A>(e: { _tag: 'Left'; left: E } | { _tag: 'Right'; right: A }): E {
  if (e._tag === 'Right') throw new Error('expected Left, got Right');
  return e.left;
}

/** The dtype numpy's descr loads as in Fluxion. */
function expectedDType(descr: string): DType {
  const d = fluxionDTypeOf(descr);
  if (!d) throw new Error(`no Fluxion dtype for ${descr}`);
  return d;
}

function checkArray(key: string, arr: NpyArray, exp: Expected): void {
  expect(arr.descr, key).toBe(exp.dtype);
  expect(arr.shape, key).toEqual(exp.shape);
  expect(arr.fortranOrder, key).toBe(exp.fortran);
  const x = right(npyToTensor(arr, key));
  expect(x.dtype, key).toBe(expectedDType(exp.dtype));
  expect(x.shape, key).toEqual(exp.shape);
  const want = exp.data.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
  // Values must be exact: compare as the dtype stores them (float32 values from JSON are exact doubles).
  expect(Array.from(x.data), key).toEqual(want);
}

describe('numpy 1.24 and 2.4 reference files', () => {
  for (const np of ['np1', 'np2']) {
    const expected = json(`${np}_expected.json`) as Record<string, Expected>;
    for (const kind of ['savez', 'savez_compressed']) {
      it(`${np}_${kind}.npz: every array has numpy's dtype, shape, order and values`, () => {
        const arrays = right(parseNpz(fixture(`${np}_${kind}.npz`)));
        expect([...arrays.keys()].sort()).toEqual(Object.keys(expected).sort());
        for (const [k, exp] of Object.entries(expected)) checkArray(k, arrays.get(k)!, exp);
        // decodeNpz agrees, keyed like numpy.load
        const tensors = right(decodeNpz(fixture(`${np}_${kind}.npz`)));
        expect(tensors.get('nested/key/W')!.shape).toEqual([2, 2]);
        expect(tensors.get('i8_scalar')!.item()).toBe(42);
        expect(tensors.get('fortran_f4')!.toArray()).toEqual([
          [0, 1, 2],
          [3, 4, 5],
        ]);
      });
    }

    it(`${np}_v2_header.npy (version 2.0) and ${np}_v3_header.npy (version 3.0)`, () => {
      const v2 = right(parseNpy(fixture(`${np}_v2_header.npy`)));
      expect(v2.descr).toBe('<f4');
      expect(Array.from(right(decodeNpy(fixture(`${np}_v2_header.npy`))).data)).toEqual([0, 1, 2, 3, 4]);
      const v3 = right(decodeNpy(fixture(`${np}_v3_header.npy`)));
      expect(v3.dtype).toBe('float64');
      expect(Array.from(v3.data)).toEqual([0, 1, 2, 3, 4]);
    });

    it(`${np}_object.npy is refused with a clear error, and no pickle is touched`, () => {
      const err = leftOf(decodeNpy(fixture(`${np}_object.npy`)));
      expect(err.problems).toHaveLength(1);
      expect(err.problems[0]!.kind).toBe('unsupported');
      expect(err.message).toMatch(/object arrays \(dtype '\|O'\) are refused: .*pickle/);
    });
  }

  it('writing the parsed arrays back gives numpy’s exact bytes (stored archives, and every npy entry)', () => {
    for (const name of ['np1_savez.npz', 'chainer_mychain_uncompressed.npz']) {
      const bytes = fixture(name);
      // Same entries, same order → the very same file (Python ≤ 3.11.2 zipfile layout).
      const entries = right(readZip(bytes)).map((e) => ({ name: e.name, data: right(e.read()) }));
      expect(writeZip(entries)).toEqual(bytes);
      // Parsed arrays formatted again → identical npy bytes, and an identical archive.
      const arrays = right(parseNpz(bytes));
      for (const e of entries) expect(formatNpy(arrays.get(e.name.slice(0, -4))!), e.name).toEqual(e.data);
      expect(formatNpz(arrays)).toEqual(bytes);
    }
    // Compressed archives: the npy payloads are numpy's bytes too (deflate streams differ from zlib's).
    for (const name of ['np2_savez_compressed.npz', 'chainer_mychain.npz', 'chainer_mychain_adam.npz']) {
      for (const e of right(readZip(fixture(name)))) {
        const data = right(e.read());
        expect(formatNpy(right(parseNpy(data))), `${name}:${e.name}`).toEqual(data);
      }
    }
  });
});

describe('input buffers', () => {
  it('Node Buffers (pooled, sliced) and views at odd offsets of larger buffers read the same', () => {
    const path = new URL('./fixtures/np2_savez_compressed.npz', import.meta.url);
    const want = right(decodeNpz(fixture('np2_savez_compressed.npz')));
    const fromBuffer = right(decodeNpz(readFileSync(path)));
    const big = new Uint8Array(fixture('np2_savez_compressed.npz').length + 7);
    big.set(fixture('np2_savez_compressed.npz'), 3);
    const fromView = right(decodeNpz(big.subarray(3, big.length - 4)));
    for (const got of [fromBuffer, fromView]) {
      for (const [k, x] of want) expect(Array.from(got.get(k)!.data), k).toEqual(Array.from(x.data));
    }
    const npy = readFileSync(new URL('./fixtures/np1_v3_header.npy', import.meta.url));
    expect(Array.from(right(decodeNpy(npy.subarray(0))).data)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('extra numpy files (fixtures/make_extra.py)', () => {
  const expected = json('extra_expected.json') as Record<string, Record<string, Expected>>;

  it('more dtypes and byte orders, 3-D Fortran order, 0-d and empty arrays', () => {
    const arrays = right(parseNpz(fixture('extra_dtypes.npz')));
    const exp = expected['extra_dtypes.npz']!;
    expect([...arrays.keys()].sort()).toEqual(Object.keys(exp).sort());
    for (const [k, e] of Object.entries(exp)) {
      if (k === 'i8_big' || k === 'str_0d') continue;
      checkArray(k, arrays.get(k)!, e);
    }
  });

  it('an int64 beyond int32 and a string array are error values naming the key', () => {
    const arrays = right(parseNpz(fixture('extra_dtypes.npz')));
    const big = leftOf(npyToTensor(arrays.get('i8_big')!, 'i8_big'));
    expect(big.problems[0]).toMatchObject({ kind: 'value', path: 'i8_big', found: '1099511627776' });
    expect(big.message).toMatch(/i8_big: <i8 value 1099511627776 at flat index 1 does not fit in int32/);
    const str = leftOf(npyToTensor(arrays.get('str_0d')!, 'str_0d'));
    expect(str.problems[0]!.kind).toBe('unsupported');
    // decodeNpz reports both at once.
    const all = leftOf(decodeNpz(fixture('extra_dtypes.npz')));
    expect(all.problems.map((p) => p.path)).toEqual(['i8_big', 'str_0d']);
  });

  for (const name of ['extra_stream_stored.npz', 'extra_stream_deflate.npz', 'extra_zip64eocd.npz', 'extra_utf8.npz']) {
    it(`${name}: data descriptors, zip64 records and UTF-8 names`, () => {
      const arrays = right(parseNpz(fixture(name)));
      const exp = expected[name]!;
      expect([...arrays.keys()].sort()).toEqual(Object.keys(exp).sort());
      for (const [k, e] of Object.entries(exp)) checkArray(k, arrays.get(k)!, e);
    });
  }
});

describe("Chainer 7.8.1: the seed's MyChain after 200 Adam steps", () => {
  const exp = json('chainer_mychain_expected.json') as {
    params: Record<string, Record<string, { shape: number[]; data: number[] }>>;
    adam_t: number;
    x: { shape: number[]; data: number[] };
    predict: { shape: number[]; data: number[] };
  };
  const t32 = (a: { shape: number[]; data: number[] }): Tensor => tensor(new Float32Array(a.data), { dtype: 'float32', shape: a.shape });
  const expectedParams = {
    l1: { W: t32(exp.params.l1!.W!), b: t32(exp.params.l1!.b!) },
    l2: { W: t32(exp.params.l2!.W!), b: t32(exp.params.l2!.b!) },
    l3: { W: t32(exp.params.l3!.W!), b: t32(exp.params.l3!.b!) },
  };
  // What `init` would give: zeros of the right shapes (Chainer's Linear: W is [out, in]).
  const template = {
    l1: { W: tensor(new Float32Array(16), { shape: [16, 1] }), b: tensor(new Float32Array(16)) },
    l2: { W: tensor(new Float32Array(512), { shape: [32, 16] }), b: tensor(new Float32Array(32)) },
    l3: { W: tensor(new Float32Array(32), { shape: [1, 32] }), b: tensor(new Float32Array(1)) },
  };
  type Params = typeof template;

  const forward = (p: Params, x: Tensor): Tensor => {
    const lin = (l: { W: Tensor; b: Tensor }, h: Tensor) => leakyRelu(add(matmul(h, transpose(l.W)), l.b), 0.2);
    return lin(p.l3, lin(p.l2, lin(p.l1, x)));
  };

  for (const name of ['chainer_mychain.npz', 'chainer_mychain_uncompressed.npz']) {
    it(`${name} loads into the template with exact weights, and predicts like Chainer`, () => {
      const r = right(loadNpz(fixture(name), template));
      expect(r.prefix).toBe('');
      expect(r.prefixSource).toBe('none');
      expect(r.ignored).toEqual([]);
      for (const l of ['l1', 'l2', 'l3'] as const) {
        for (const k of ['W', 'b'] as const) {
          expect(Array.from(r.tree[l][k].data), `${l}/${k}`).toEqual(Array.from(expectedParams[l][k].data));
          expect(r.tree[l][k].shape).toEqual(expectedParams[l][k].shape);
        }
      }
      const y = forward(r.tree, t32(exp.x));
      expect(y).toBeAllclose(t32(exp.predict), { rtol: 1e-6, atol: 1e-6 });
    });
  }

  it('chainer_classifier.npz: the predictor/ prefix is detected and said so, or taken as given', () => {
    const detected = right(loadNpz(fixture('chainer_classifier.npz'), template));
    expect(detected.prefix).toBe('predictor/');
    expect(detected.prefixSource).toBe('detected');
    expect(Array.from(detected.tree.l2.W.data)).toEqual(Array.from(expectedParams.l2.W.data));
    const given = right(loadNpz(fixture('chainer_classifier.npz'), template, { prefix: 'predictor' }));
    expect(given.prefix).toBe('predictor/');
    expect(given.prefixSource).toBe('given');
    // Given the wrong prefix: every key is missing, all reported at once.
    const wrong = leftOf(loadNpz(fixture('chainer_classifier.npz'), template, { prefix: '' }));
    expect(wrong.problems.filter((p) => p.kind === 'missing')).toHaveLength(6);
  });

  it("chainer_mychain_adam.npz: Adam's state in Chainer's layout (l1/W/m, l1/W/v, l1/W/t, t, epoch)", () => {
    const z = (shape: number[]) => tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), { shape });
    const slot = (shape: number[]) => ({ m: z(shape), v: z(shape), t: 0 });
    const adamTemplate = {
      t: 0,
      epoch: 0,
      l1: { W: slot([16, 1]), b: slot([16]) },
      l2: { W: slot([32, 16]), b: slot([32]) },
      l3: { W: slot([1, 32]), b: slot([1]) },
    };
    const r = right(loadNpz(fixture('chainer_mychain_adam.npz'), adamTemplate));
    expect(r.tree.t).toBe(exp.adam_t);
    expect(r.tree.epoch).toBe(0);
    expect(r.tree.l2.W.t).toBe(200);
    expect(r.tree.l2.W.m.shape).toEqual([32, 16]);
    // v is a running mean of squared gradients: non-negative, and not all zero after 200 steps.
    const v = Array.from(r.tree.l1.W.v.data);
    expect(v.every((x) => x >= 0) && v.some((x) => x > 0)).toBe(true);
  });
});
