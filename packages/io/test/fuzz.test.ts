/**
 * Bad bytes are an error value: never a throw, never a hang, memory bounded by the file. Mutations
 * of valid npy/npz files: truncation at every offset, bit flips, random edits, wrong header
 * lengths, absurd shapes, declared sizes larger than the data, deflate bombs.
 */
import { readFileSync } from 'node:fs';
import { random, tensor, zeros } from '@fluxion/core';
import {
  decodeNpy,
  decodeNpz,
  loadCheckpoint,
  loadNpz,
  parseNpz,
  readZip,
  saveCheckpoint,
  saveNpz,
  encodeNpy,
  crc32,
  writeZip,
  type IoError,
} from '@fluxion/io';
import fc from 'fast-check';
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { right } from './helpers.js';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

const params = {
  l1: { W: tensor([[1], [2], [3]]), b: tensor([0.1, 0.2, 0.3]) },
  l2: { W: tensor([[1, 2, 3]]), b: tensor([0.5]) },
};
const ckpt = { params, optState: { t: 2, l1: { W: { m: zeros([3, 1]) } } }, step: 9, key: random.key(3), metadata: { a: 1 } };
const ckptTemplate = { params, optState: ckpt.optState };

const npySeeds: Record<string, Uint8Array> = {
  f4_2d: encodeNpy(tensor([[1, 2, 3], [4, 5, 6]])),
  f8_0d: encodeNpy(tensor(new Float64Array([Math.PI]), { dtype: 'float64', shape: [] })),
  bool: encodeNpy(tensor([true, false, true])),
  numpy_v3: fixture('np1_v3_header.npy'),
  numpy_v2: fixture('np2_v2_header.npy'),
};
const npzSeeds: Record<string, Uint8Array> = {
  stored: saveNpz(params),
  deflate: saveNpz(params, { compress: true }),
  checkpoint: saveCheckpoint(ckpt, { compress: true }),
  numpy_compressed: fixture('np2_savez_compressed.npz'),
  numpy_stream: fixture('extra_stream_deflate.npz'),
  numpy_zip64eocd: fixture('extra_zip64eocd.npz'),
};

type Result = { _tag: 'Left'; left: IoError } | { _tag: 'Right'; right: unknown };

/** Runs every decoder that applies; each must return an Either without throwing, and no internal error. */
function decodeAll(bytes: Uint8Array, kind: 'npy' | 'npz'): Result[] {
  const runs: (() => Result)[] =
    kind === 'npy'
      ? [() => decodeNpy(bytes)]
      : [
          () => parseNpz(bytes),
          () => decodeNpz(bytes),
          () => loadNpz(bytes, params),
          () => loadNpz(bytes, params, { strict: false }),
          () => loadCheckpoint(bytes, ckptTemplate),
        ];
  return runs.map((run) => {
    let r: Result;
    try {
      r = run();
    } catch (e) {
      throw new Error(`a decoder threw on bad bytes: ${String(e)}`);
    }
    expect(r._tag === 'Left' || r._tag === 'Right').toBe(true);
    if (r._tag === 'Left') {
      expect(r.left.problems.length).toBeGreaterThan(0);
      expect(r.left.message).not.toMatch(/internal error/);
    }
    return r;
  });
}

function allLeft(bytes: Uint8Array, kind: 'npy' | 'npz'): boolean {
  return decodeAll(bytes, kind).every((r) => r._tag === 'Left');
}

describe('fuzz: truncation at every offset', () => {
  for (const [name, seed] of Object.entries(npySeeds)) {
    it(`npy ${name}: every strict prefix is an error value`, () => {
      for (let n = 0; n < seed.length; n++) expect(allLeft(seed.subarray(0, n), 'npy'), `prefix of ${n} bytes`).toBe(true);
    });
  }
  for (const [name, seed] of Object.entries(npzSeeds)) {
    it(`npz ${name}: every strict prefix is an error value`, () => {
      for (let n = 0; n < seed.length; n++) expect(allLeft(seed.subarray(0, n), 'npz'), `prefix of ${n} bytes`).toBe(true);
    });
  }
});

describe('fuzz: random mutations never throw', () => {
  const seeds = [...Object.entries(npySeeds).map(([k, v]) => [k, v, 'npy'] as const), ...Object.entries(npzSeeds).map(([k, v]) => [k, v, 'npz'] as const)];
  it('bit flips (one to eight bits anywhere)', () => {
    let lefts = 0;
    let total = 0;
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }), ([, seed, kind], flips) => {
        const b = seed.slice();
        for (const [pos, bit] of flips) b[pos % b.length]! ^= 1 << bit;
        const rs = decodeAll(b, kind);
        total += rs.length;
        lefts += rs.filter((r) => r._tag === 'Left').length;
      }),
      { numRuns: 400 },
    );
    // Most flips hit data guarded by a CRC or a header; a few hit fields nobody reads (timestamps).
    expect(lefts / total).toBeGreaterThan(0.5);
  });

  it('random edits: overwrite, insert and delete byte runs', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 16 }),
        fc.constantFrom('overwrite', 'insert', 'delete'),
        ([, seed, kind], pos, run, op) => {
          const p = pos % seed.length;
          const b =
            op === 'overwrite'
              ? (() => {
                  const c = seed.slice();
                  c.set(run.subarray(0, c.length - p), p);
                  return c;
                })()
              : op === 'insert'
                ? Uint8Array.from([...seed.subarray(0, p), ...run, ...seed.subarray(p)])
                : Uint8Array.from([...seed.subarray(0, p), ...seed.subarray(p + run.length)]);
          decodeAll(b, kind);
        },
      ),
      { numRuns: 400 },
    );
  });
});

// ------------------------------------------------------------------------------------------------
// Targeted mutations

/** An npy file with a hand-written header text (padded like numpy's). */
function npyWithHeader(header: string, data: Uint8Array, version = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  let h = header;
  while ((pre + h.length + 1) % 64 !== 0) h += ' ';
  h += '\n';
  const out = new Uint8Array(pre + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, h.length, true);
  else v.setUint32(8, h.length, true);
  for (let i = 0; i < h.length; i++) out[pre + i] = h.charCodeAt(i);
  out.set(data, pre + h.length);
  return out;
}

/** An npz holding the given npy payloads (CRCs right, so only the npy layer can object). */
function npzOf(entries: Record<string, Uint8Array>, compress = false): Uint8Array {
  return writeZip(
    Object.entries(entries).map(([k, data]) => ({ name: `${k}.npy`, data })),
    { compress },
  );
}

function firstProblem(r: Result): string {
  if (r._tag === 'Right') throw new Error('expected an error value');
  return r.left.problems[0]!.message;
}

describe('fuzz: wrong npy header lengths', () => {
  it('every other value of the header-length field is an error value (alone and inside an npz)', () => {
    const seed = npySeeds.f4_2d!;
    const hlen = new DataView(seed.buffer).getUint16(8, true);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }).filter((n) => n !== hlen), (n) => {
        const b = seed.slice();
        new DataView(b.buffer).setUint16(8, n, true);
        expect(allLeft(b, 'npy')).toBe(true);
        expect(loadNpz(npzOf({ 'l1/W': b, 'l1/b': encodeNpy(params.l1.b) }), { l1: params.l1 })._tag).toBe('Left');
      }),
      { numRuns: 300 },
    );
  });

  it('a version 2 header length past the end of the file', () => {
    const b = npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4), 2);
    new DataView(b.buffer).setUint32(8, 0xfffffff0, true);
    expect(firstProblem(decodeNpy(b))).toMatch(/header length 4294967280 goes past the end/);
  });
});

describe('fuzz: absurd and malformed headers', () => {
  const data = new Uint8Array(24);
  const cases: [string, RegExp][] = [
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", /needs 4835703278458516698824704 bytes|needs more than 2\^53 bytes of data/],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (9007199254740991, 9007199254740991), }", /needs more than 2\^53 bytes/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000000000000,), }", /too large/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 6), }", /bad dimension -1/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1125899906842624), }", /needs 0 bytes of data, but the file holds 24 \(trailing bytes\)/],
    [`{'descr': '<f4', 'fortran_order': False, 'shape': (${Array(65).fill(1).join(', ')}), }`, /65 dimensions/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", /needs 24 bytes/], // valid: sanity check below
    ["{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }", /must be a tuple/],
    ["{'descr': '<f4', 'fortran_order': 'no', 'shape': (2, 3), }", /'fortran_order' must be True or False/],
    ["{'descr': '<f4', 'shape': (2, 3), }", /missing key 'fortran_order'/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}", /unexpected key 'extra'/],
    ["{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }", /unsupported dtype '<c8'/],
    ["{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }", /structured dtypes/],
    ["{'descr': [('a', '|O')], 'fortran_order': False, 'shape': (3,), }", /object fields refused/],
    ["{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", /object arrays .* refused/],
    ["__import__('os').system('echo pwned')", /unsupported literal/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", /unexpected end|expected ','/],
    [`${'('.repeat(200)}1${')'.repeat(200)}`, /nested deeper than 32/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3.5), }", /only decimal integers/],
    ["{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", /duplicate key/],
    ['', /unexpected end/],
  ];
  for (const [header, msg] of cases) {
    it(`${header.slice(0, 70)} → ${String(msg)}`, () => {
      const b = npyWithHeader(header, data);
      const r = decodeNpy(b);
      if (header === "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }") {
        expect(right(r).shape).toEqual([2, 3]);
        return;
      }
      expect(r._tag).toBe('Left');
      expect(r._tag === 'Left' && r.left.problems.map((p) => p.message).join('\n')).toMatch(msg);
      // Inside an npz, the same problem comes back with the key as its path.
      const z = loadNpz(npzOf({ x: b }), { x: zeros([2, 3]) });
      expect(z._tag === 'Left' && z.left.problems[0]!.path).toBe('x');
    });
  }

  it('every header problem is reported at once', () => {
    const r = decodeNpy(npyWithHeader("{'descr': '<q9', 'fortran_order': 3, 'shape': 'big', 'x': 1}", data));
    expect(r._tag === 'Left' && r.left.problems.length).toBe(4);
  });
});

// ------------------------------------------------------------------------------------------------
// zip-level lies

function eocdOffset(z: Uint8Array): number {
  const v = new DataView(z.buffer, z.byteOffset);
  for (let p = z.length - 22; p >= 0; p--) if (v.getUint32(p, true) === 0x06054b50) return p;
  throw new Error('no eocd');
}

/** Offsets of the central directory headers. */
function centralHeaders(z: Uint8Array): number[] {
  const v = new DataView(z.buffer, z.byteOffset);
  const e = eocdOffset(z);
  const out: number[] = [];
  let o = v.getUint32(e + 16, true);
  for (let i = 0; i < v.getUint16(e + 10, true); i++) {
    out.push(o);
    o += 46 + v.getUint16(o + 28, true) + v.getUint16(o + 30, true) + v.getUint16(o + 32, true);
  }
  return out;
}

describe('fuzz: declared sizes larger than the data', () => {
  for (const compress of [false, true]) {
    it(`${compress ? 'deflate' : 'stored'}: sizes, offsets and counts that lie are error values`, () => {
      const seed = saveNpz(params, { compress });
      const fields: [string, number, 2 | 4][] = [
        ['compressed size', 20, 4],
        ['uncompressed size', 24, 4],
        ['local header offset', 42, 4],
        ['name length', 28, 2],
        ['extra length', 30, 2],
      ];
      fc.assert(
        fc.property(fc.constantFrom(...fields), fc.nat({ max: 3 }), fc.oneof(fc.constant(0xffffffff), fc.constant(0xfffffff0), fc.integer({ min: seed.length, max: 0x7fffffff }), fc.integer({ min: 1, max: 0xffff })), ([, off, width], entry, value) => {
          const b = seed.slice();
          const v = new DataView(b.buffer);
          const at = centralHeaders(b)[entry]! + off;
          const before = width === 4 ? v.getUint32(at, true) : v.getUint16(at, true);
          if (width === 4) v.setUint32(at, value >>> 0, true);
          else v.setUint16(at, value & 0xffff, true);
          const after = width === 4 ? v.getUint32(at, true) : v.getUint16(at, true);
          if (after === before) return;
          expect(allLeft(b, 'npz')).toBe(true);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('end record: entry count, directory size and offset past the data', () => {
    const seed = saveNpz(params);
    for (const [off, value] of [
      [10, 0xfffe],
      [12, 0xffffff],
      [16, 0xffffff],
      [10, 0xffff], // claims zip64, no locator
    ] as const) {
      const b = seed.slice();
      const v = new DataView(b.buffer);
      const e = eocdOffset(b);
      if (off === 10) {
        v.setUint16(e + 8, value, true);
        v.setUint16(e + 10, value, true);
      } else v.setUint32(e + off, value, true);
      expect(allLeft(b, 'npz')).toBe(true);
    }
  });

  it('an npy shape declaring more data than the entry holds', () => {
    const lie = npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 1000000), }", new Uint8Array(12));
    const r = loadNpz(npzOf({ 'l1/W': lie }, true), { l1: { W: zeros([3, 1000000]) } });
    expect(firstProblem(r)).toMatch(/l1\/W: npy: shape \[3, 1000000\] of <f4 needs 12000000 bytes of data, but the file holds 12 \(truncated/);
  });
});

describe('fuzz: deflate bombs', () => {
  // 64 MiB of zeros deflate to ~64 KiB: a 1000:1 bomb.
  const zerosNpy = (n: number) => {
    const hdr = npyWithHeader(`{'descr': '|u1', 'fortran_order': False, 'shape': (${n},), }`, new Uint8Array(0));
    const out = new Uint8Array(hdr.length + n);
    out.set(hdr);
    return out;
  };
  const big = zerosNpy(64 * 1024 * 1024);
  const bomb = writeZip([{ name: 'x.npy', data: big }], { compress: true });

  function withDeclaredSize(size: number): Uint8Array {
    const b = bomb.slice();
    const v = new DataView(b.buffer);
    v.setUint32(centralHeaders(b)[0]! + 24, size, true);
    v.setUint32(22, size, true); // local header too
    return b;
  }

  it('an entry that inflates past its declared size stops there: an error value, fast, in bounded memory', () => {
    expect(bomb.length).toBeLessThan(128 * 1024);
    const lying = withDeclaredSize(1000);
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    const r = parseNpz(lying);
    const ms = performance.now() - t0;
    const grew = process.memoryUsage().arrayBuffers - before;
    expect(firstProblem(r)).toMatch(/x: zip: deflate data inflates past the declared 1000 bytes \(a deflate bomb\?\); stopped/);
    expect(ms).toBeLessThan(1000);
    expect(grew).toBeLessThan(48 * 1024 * 1024);
  });

  it('a declared size that deflate cannot reach from the compressed size is refused before inflating', () => {
    const r = parseNpz(withDeclaredSize(0xfffffff0));
    expect(firstProblem(r)).toMatch(/declared size 4294967280 is impossible for \d+ bytes of deflate data/);
  });

  it('a zip64 extra declaring 2^60 bytes', () => {
    // Central directory entry with 0xffffffff sizes and a zip64 extra: rebuild by hand.
    const data = encodeNpy(tensor([1, 2]));
    const comp = deflateSync(data);
    const name = new TextEncoder().encode('x.npy');
    const local = new Uint8Array(30 + name.length + comp.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(8, 8, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    local.set(comp, 30 + name.length);
    const cd = new Uint8Array(46 + name.length + 20);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(10, 8, true);
    cv.setUint32(20, comp.length, true);
    cv.setUint32(24, 0xffffffff, true);
    cv.setUint16(28, name.length, true);
    cv.setUint16(30, 20, true);
    cd.set(name, 46);
    cv.setUint16(46 + name.length, 1, true);
    cv.setUint16(48 + name.length, 8, true);
    cv.setBigUint64(50 + name.length, 2n ** 60n, true);
    const end = new Uint8Array(22);
    const ev = new DataView(end.buffer);
    ev.setUint32(0, 0x06054b50, true);
    ev.setUint16(8, 1, true);
    ev.setUint16(10, 1, true);
    ev.setUint32(12, cd.length, true);
    ev.setUint32(16, local.length, true);
    const z = Uint8Array.from([...local, ...cd, ...end]);
    expect(allLeft(z, 'npz')).toBe(true);
    expect(firstProblem(parseNpz(z))).toMatch(/impossible|larger/);
  });

  it('overlapping entries (the quadratic zip bomb) are refused', () => {
    // Stored a.npy and b.npy; then make a's data (size, CRC) swallow b's local header and data, so
    // that b lies inside a, as in overlapping-entry bombs.
    const z = writeZip([
      { name: 'a.npy', data: encodeNpy(zeros([100])) },
      { name: 'b.npy', data: encodeNpy(zeros([100])) },
    ]);
    const v = new DataView(z.buffer);
    const [first, second] = centralHeaders(z);
    const aData = 30 + 5 + 20;
    const bEnd = v.getUint32(eocdOffset(z) + 16, true); // b's data ends where the directory starts
    const size = bEnd - aData;
    for (const at of [first! + 20, first! + 24, 18, 22]) v.setUint32(at, size, true);
    const crc = crc32(z.subarray(aData, bEnd));
    v.setUint32(first! + 16, crc, true);
    v.setUint32(14, crc, true);
    expect(v.getUint32(second! + 42, true)).toBeGreaterThan(aData);
    expect(firstProblem(parseNpz(z))).toMatch(/entries 'a.npy' and 'b.npy' overlap/);
    // Sanity: an untouched archive reads.
    expect(right(readZip(writeZip([{ name: 'ok.npy', data: new Uint8Array(3) }])))).toHaveLength(1);
  });
});
