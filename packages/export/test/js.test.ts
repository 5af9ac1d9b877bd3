/**
 * The ES module export: one self-contained module (no imports, weights as exact float32 bits)
 * whose function reproduces Fluxion's predictions for any batch size.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { exportModel } from '@fluxion/export';
import { importModule } from '@fluxion/export/node';
import { CASES, SPECIALS, fluxion, inputs, maxUlps, note, observed, seed, seedParams } from './helpers.js';

afterAll(() => {
  console.log(`max ulps, JS vs Fluxion: ${JSON.stringify(Object.fromEntries(observed))}`);
});

describe('exportModel js', () => {
  for (const c of CASES) {
    it(`${c.name}: same predictions as Fluxion for batch sizes 1, 7, 100 and 0`, async () => {
      const src = exportModel(c.predict, c.params as never, { inputShape: [1, ...c.example], format: 'js' });
      const m = await importModule(src);
      for (const batch of [1, 7, 100]) {
        const x = inputs(c, batch, batch);
        const y = m.default(x);
        const want = fluxion(c, x, batch);
        const d = maxUlps(y, want);
        note(c.name, d);
        expect(d, `batch ${batch}`).toBeLessThanOrEqual(2);
      }
      expect(m.default(new Float32Array(0))).toEqual(new Float32Array(0));
    });
  }

  it('agrees on special values (NaN, ±inf, ±0, huge, subnormal)', async () => {
    for (const c of CASES) {
      const m = await importModule(exportModel(c.predict, c.params as never, { inputShape: [-1, ...c.example], format: 'js' }));
      const size = c.example.reduce((a, b) => a * b, 1);
      const batch = Math.ceil(SPECIALS.length / size) + 3;
      const x = inputs(c, batch, 42);
      SPECIALS.forEach((v, i) => (x[(i * 5) % x.length] = v));
      const d = maxUlps(m.default(x), fluxion(c, x, batch));
      note(`${c.name} (specials)`, d);
      expect(d, c.name).toBeLessThanOrEqual(2);
    }
  });

  it('agrees with Fluxion on random params and inputs (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 40 }), async (key, batch) => {
        const p = seedParams(key);
        const m = await importModule(exportModel(seed, p, { inputShape: [batch, 1], format: 'js' }));
        const c = { ...CASES[0]!, params: p };
        const x = inputs(c, batch, key + 1);
        const d = maxUlps(m.default(x), fluxion(c, x, batch));
        note('seed MLP (fast-check)', d);
        expect(d).toBeLessThanOrEqual(2);
      }),
      { numRuns: 15 },
    );
  });

  it('is one module with no imports, the weights inlined as base64 float32, plain loops', () => {
    const src = exportModel(seed, seedParams(0), { inputShape: [100, 1], format: 'js', name: 'expFit' });
    expect(src).not.toMatch(/^\s*import\b|\bimport\(|\brequire\(/m);
    expect(src).toMatch(/^export function expFit\(x\) \{$/m);
    expect(src).toContain('export default expFit;');
    expect(src).toMatch(/const \$F = \$f32\("[A-Za-z0-9+/=]+"\);/);
    expect(src).toContain('const $l1_W = $F.subarray(0, 16); // l1/W float32[16, 1]');
    expect(src).toMatch(/for \(let p = 0; p < 16; p\+\+\) \{/);
    // The graph is in the header, with N for the batch size.
    expect(src).toContain('//   %7: float32[N, 16] = matmul %6 l1/W l1/b {ta: false, tb: true}');
  });

  it('exports shapes; converts array input; rejects a length that is not whole examples', async () => {
    const c = CASES[3]!;
    const m = await importModule(exportModel(c.predict, c.params as never, { inputShape: [5, 2, 3], format: 'js', name: 'sink' }));
    expect(m.inputShape).toEqual([-1, 2, 3]);
    expect(m.outputShape).toEqual([-1, 4]);
    expect(m['sink']).toBe(m.default);
    const x = inputs(c, 2, 7);
    expect(m.default(Array.from(x) as unknown as Float32Array)).toEqual(m.default(x));
    expect(() => m.default(new Float32Array(7))).toThrow(new RangeError('sink: x has 7 values, not a multiple of 6 (one example is [2, 3])'));
  });
});
