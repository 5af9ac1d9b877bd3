/** Exact float spellings: C hex literals, base64 of little-endian float32, the %a parser. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64, float32Bytes, hexDouble, hexFloat } from '../src/floats.js';
import { exportModel } from '@fluxion/export';
import { parseHexFloat, writeModelFiles } from '@fluxion/export/node';
import { seed, seedParams } from './helpers.js';

describe('hexadecimal floats', () => {
  it('spells float32 values exactly as C99 literals', () => {
    expect(hexFloat(1)).toBe('0x1p+0f');
    expect(hexFloat(Math.fround(0.1))).toBe('0x1.99999ap-4f');
    expect(hexFloat(-2.5)).toBe('-0x1.4p+1f');
    expect(hexFloat(0)).toBe('0x0p+0f');
    expect(hexFloat(-0)).toBe('-0x0p+0f');
    expect(hexFloat(2 ** -149)).toBe('0x0.000002p-126f');
    expect(hexFloat(Math.fround(3.4028234663852886e38))).toBe('0x1.fffffep+127f');
    expect([hexFloat(NaN), hexFloat(Infinity), hexFloat(-Infinity)]).toEqual(['NAN', 'INFINITY', '-INFINITY']);
    expect(hexDouble(0.2)).toBe('0x1.999999999999ap-3');
    expect(hexDouble(2 ** -1074)).toBe('0x0.0000000000001p-1022');
  });

  it('round-trips through the %a parser, float32 and float64', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true }), fc.double({ noNaN: true }), (f, d) => {
        expect(Object.is(parseHexFloat(hexFloat(f).replace(/f$/, '').replace('INFINITY', 'inf')), f)).toBe(true);
        expect(Object.is(parseHexFloat(hexDouble(d).replace('INFINITY', 'inf')), d)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect(parseHexFloat('-nan')).toBeNaN();
    expect(parseHexFloat('0x1.8p+1')).toBe(3);
    expect(() => parseHexFloat('1.5')).toThrow(/not a hexadecimal float/);
  });

  it('base64 of little-endian float32 bytes matches Node', () => {
    fc.assert(
      fc.property(fc.array(fc.float(), { maxLength: 9 }), fc.uint8Array({ maxLength: 10 }), (fs, bytes) => {
        const b = float32Bytes(fs);
        expect(base64(b)).toBe(Buffer.from(b).toString('base64'));
        const back = new Float32Array(new Uint8Array(Buffer.from(base64(b), 'base64')).buffer);
        expect(Array.from(back).map((v) => (v !== v ? 'NaN' : Object.is(v, -0) ? '-0' : v))).toEqual(
          fs.map((v) => (v !== v ? 'NaN' : Object.is(v, -0) ? '-0' : v)),
        );
        expect(base64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
      }),
    );
  });
});

describe('writeModelFiles', () => {
  it('writes model.mjs and model.c, creating folders, and returns the sources', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxion-export-test-'));
    try {
      const p = seedParams(0);
      const out = writeModelFiles(seed, p, { inputShape: [1, 1], js: join(dir, 'a/model.mjs'), c: join(dir, 'b/model.c'), name: 'exp_fit' });
      expect(readFileSync(join(dir, 'a/model.mjs'), 'utf8')).toBe(out.js);
      expect(readFileSync(join(dir, 'b/model.c'), 'utf8')).toBe(out.c);
      expect(out.c).toBe(exportModel(seed, p, { inputShape: [1, 1], format: 'c', name: 'exp_fit' }));
      expect(writeModelFiles(seed, p, { inputShape: [1, 1], c: join(dir, 'c.c') })).toEqual({ c: exportModel(seed, p, { inputShape: [1, 1], format: 'c' }) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
