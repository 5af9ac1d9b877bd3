import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, astype, matmul, tensor, transpose, type Tensor } from '@fluxion/core';
import { tensorOf } from '@fluxion/core/testing';

/** A plain triple loop in float64: the independent oracle for the tiled kernel. */
function naive(a: Tensor, b: Tensor): number[] {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a.data[i * k + p]! * b.data[p * n + j]!;
      out.push(s);
    }
  }
  return out;
}

const dim = fc.integer({ min: 1, max: 11 });

describe('matmul kernel', () => {
  it('equals a naive triple loop for every size, including edges that are not multiples of 4', () => {
    fc.assert(
      fc.property(
        fc.tuple(dim, dim, dim).chain(([m, k, n]) => fc.tuple(tensorOf([m, k]), tensorOf([k, n]))),
        ([a, b]) => {
          expect(matmul(a, b)).toBeAllclose(tensor(naive(a, b), { dtype: 'float64', shape: [a.shape[0]!, b.shape[1]!] }), {
            rtol: 1e-13,
            atol: 1e-13,
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads transposed operands exactly as an explicit transpose would (bit for bit)', () => {
    fc.assert(
      fc.property(
        fc.tuple(dim, dim, dim, fc.boolean(), fc.boolean(), fc.constantFrom<'float32' | 'float64'>('float32', 'float64')),
        ([m, k, n, ta, tb, dtype]) => {
          const a = fc.sample(tensorOf(ta ? [k, m] : [m, k], { dtype }), { numRuns: 1, seed: m * 31 + k })[0]!;
          const b = fc.sample(tensorOf(tb ? [n, k] : [k, n], { dtype }), { numRuns: 1, seed: n * 17 + k })[0]!;
          const fused = matmul(a, b, { transposeA: ta, transposeB: tb });
          const explicit = matmul(ta ? transpose(a) : a, tb ? transpose(b) : b);
          expect(fused.shape).toEqual([m, n]);
          expect(Array.from(fused.data)).toEqual(Array.from(explicit.data));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('adds a fused bias exactly as a separate add in float64, and within one float32 rounding in float32', () => {
    fc.assert(
      fc.property(fc.tuple(dim, dim, dim), ([m, k, n]) => {
        const [a, b, c] = fc.sample(fc.tuple(tensorOf([m, k]), tensorOf([k, n]), tensorOf([n])), { numRuns: 1, seed: m + 7 * k + 49 * n })[0]!;
        expect(Array.from(matmul(a, b, { bias: c }).data)).toEqual(Array.from(add(matmul(a, b), c).data));
        const [a32, b32, c32] = [a, b, c].map((t) => astype(t, 'float32')) as [Tensor, Tensor, Tensor];
        expect(matmul(a32, b32, { bias: c32 })).toBeAllclose(add(matmul(a32, b32), c32), { rtol: 2 ** -22, atol: 2 ** -22 });
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a bias that is not a vector over the output columns', () => {
    expect(() => matmul(tensor([[1, 2]]), tensor([[1], [2]]), { bias: tensor([1, 2]) })).toThrow(/bias must be a vector \[1\]/);
  });

  it('rounds float32 results once, from a float64 accumulation', () => {
    // 1 + 2⁻²⁴ is not a float32; three such terms summed in float32 would round at every step.
    const a = tensor([[1, 1, 1]]);
    const b = tensor([[1], [2 ** -24], [2 ** -24]]);
    expect(matmul(a, b).item()).toBe(Math.fround(1 + 2 * 2 ** -24));
  });

  it('names the transposed shapes in its error', () => {
    expect(() => matmul(tensor([[1, 2, 3]]), tensor([[1, 2]]), { transposeB: true })).toThrow(/\[1, 3\] @ \[1, 2\]ᵀ \(3 vs 2\)/);
  });
});
