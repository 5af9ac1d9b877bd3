/** Shared test helpers: Either unwrapping, bitwise tree equality, arbitraries for trees. */
import { Tensor, random, tensor, tree, type DType, type Key } from '@fluxion/core';
import fc from 'fast-check';

export function right<E, A>(e: { _tag: 'Left'; left: E } | { _tag: 'Right'; right: A }): A {
  if (e._tag === 'Left') throw new Error(`expected Right, got Left: ${String((e.left as { message?: string }).message ?? e.left)}`);
  return e.right;
}

export function leftOf<E, A>(e: { _tag: 'Left'; left: E } | { _tag: 'Right'; right: A }): E {
  if (e._tag === 'Right') throw new Error('expected Left, got Right');
  return e.left;
}

function bytesOf(t: Tensor): Uint8Array {
  const d = t.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** Same structure and bit-identical leaves (tensors: dtype, shape, bytes; numbers: Object.is; keys: words). */
export function bitEqual(a: unknown, b: unknown): boolean {
  if (!tree.structureEqual(a, b)) return false;
  const la = tree.leaves(a) as unknown[];
  const lb = tree.leaves(b) as unknown[];
  return la.every((x, i) => leafBitEqual(x, lb[i]));
}

function leafBitEqual(x: unknown, y: unknown): boolean {
  if (x instanceof Tensor) {
    if (!(y instanceof Tensor) || x.dtype !== y.dtype || x.shape.length !== y.shape.length) return false;
    if (!x.shape.every((d, i) => d === y.shape[i])) return false;
    const bx = bytesOf(x);
    const by = bytesOf(y);
    return bx.length === by.length && bx.every((v, i) => v === by[i]);
  }
  if (random.isKey(x)) return random.isKey(y) && x.k0 === (y as Key).k0 && x.k1 === (y as Key).k1;
  return Object.is(x, y);
}

const DTYPES: DType[] = ['float32', 'float64', 'int32', 'bool'];

/** Tensors of any dtype with arbitrary bit patterns (NaN payloads, -0, subnormals, infinities). */
export function anyTensor(): fc.Arbitrary<Tensor> {
  return fc
    .tuple(fc.constantFrom(...DTYPES), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 3 }))
    .chain(([dtype, shape]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const width = dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4;
      return fc.uint8Array({ minLength: n * width, maxLength: n * width }).map((raw) => {
        const buf = new Uint8Array(raw).buffer;
        const data =
          dtype === 'float32'
            ? new Float32Array(buf)
            : dtype === 'float64'
              ? new Float64Array(buf)
              : dtype === 'int32'
                ? new Int32Array(buf)
                : Uint8Array.from(raw, (v) => v & 1);
        return tensor(data, { dtype, shape });
      });
    });
}

/** Numbers that must survive bit for bit: integers, fractions, -0, NaN, infinities, huge values. */
export function anyNumber(): fc.Arbitrary<number> {
  return fc.oneof(
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double(),
    fc.constantFrom(-0, 0, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 60), 5e-324),
  );
}

const keyChar = fc.constantFrom('a', 'b', 'W', 'l1', '/', '_', 'é', '0', ' ', '.', 'x/y');

/** Record keys, some with slashes. */
export const treeKey = fc.array(keyChar, { minLength: 1, maxLength: 3 }).map((parts) => parts.join(''));

/** Trees of tensors, numbers, booleans and keys, nested records and arrays, keys with slashes. */
export const anyTree: fc.Arbitrary<Record<string, unknown>> = fc.letrec((tie) => ({
  leaf: fc.oneof(
    { weight: 6, arbitrary: anyTensor() },
    { weight: 2, arbitrary: anyNumber() },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })).map(([a, b]) => random.keyFromData([a, b])) },
  ),
  node: fc.oneof(
    { weight: 3, arbitrary: tie('leaf') },
    { weight: 1, arbitrary: tie('record') },
    { weight: 1, arbitrary: fc.array(tie('node'), { maxLength: 3 }) },
  ),
  record: fc.dictionary(treeKey, tie('node'), { minKeys: 1, maxKeys: 4 }),
})).record as fc.Arbitrary<Record<string, unknown>>;

/** True when no two leaves share a path (keys with slashes can collide with nested keys). */
export function pathsUnique(t: unknown): boolean {
  const ps = tree.paths(t);
  return ps.length > 0 && new Set(ps).size === ps.length && !ps.includes('');
}
