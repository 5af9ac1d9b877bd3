/** npy details: the header literal parser, descriptors, the dtype mapping, numpy's exact header bytes. */
import { tensor, zeros } from '@fluxion/core';
import { decodeNpy, encodeNpy, fluxionDTypeOf, formatNpy, parseDescr, parseNpy } from '@fluxion/io';
import { describe, expect, it } from 'vitest';
import { leftOf, right } from './helpers.js';

function npy(header: string, data: Uint8Array): Uint8Array {
  let h = header;
  while ((10 + h.length + 1) % 64 !== 0) h += ' ';
  h += '\n';
  const out = new Uint8Array(10 + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, h.length, true);
  for (let i = 0; i < h.length; i++) out[10 + i] = h.charCodeAt(i);
  out.set(data, 10 + h.length);
  return out;
}

const headerText = (b: Uint8Array) => String.fromCharCode(...b.subarray(10, 10 + new DataView(b.buffer).getUint16(8, true)));

describe('npy headers', () => {
  it("writes numpy's exact header: sorted keys, repr'd shape, spare room, 64-byte alignment", () => {
    const cases: [number[], string][] = [
      [[], "{'descr': '<f4', 'fortran_order': False, 'shape': (), }"],
      [[5], "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }" + ' '.repeat(20)],
      [[16, 1], "{'descr': '<f4', 'fortran_order': False, 'shape': (16, 1), }" + ' '.repeat(19)],
      [[0, 3], "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }" + ' '.repeat(20)],
    ];
    for (const [shape, text] of cases) {
      const b = encodeNpy(zeros(shape));
      expect((10 + new DataView(b.buffer).getUint16(8, true)) % 64).toBe(0);
      expect(headerText(b).trimEnd()).toBe(text.trimEnd());
      expect(headerText(b).startsWith(text)).toBe(true);
      expect(headerText(b).endsWith('\n')).toBe(true);
    }
  });

  it('reads Python 2 style long integers, double quotes and odd spacing', () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
    const x = right(decodeNpy(npy('{"descr":"<f4","fortran_order":False,"shape":(2L,3L)}', data)));
    expect(x.shape).toEqual([2, 3]);
    expect(right(decodeNpy(npy("{ 'shape' : ( 6 , ) , 'descr' : '<f4' , 'fortran_order' : False }", data))).shape).toEqual([6]);
  });

  it('parses descriptors in every byte order and refuses the rest', () => {
    expect(right(parseDescr('>i8'))).toEqual({ descr: '>i8', kind: 'i', itemsize: 8, byteOrder: '>' });
    expect(right(parseDescr('<u1'))).toMatchObject({ descr: '|u1', byteOrder: '|' });
    expect(right(parseDescr('=f8'))).toMatchObject({ descr: '<f8' });
    expect(right(parseDescr('<U3'))).toMatchObject({ kind: 'U', itemsize: 12 });
    for (const bad of ['<c16', '|S5', '|V8', '<M8[ns]', '<f16', 'float32', '<i3']) expect(leftOf(parseDescr(bad)).kind).toBe('unsupported');
    expect(leftOf(parseDescr('|O')).message).toMatch(/pickle/);
  });

  it('maps numpy dtypes to Fluxion dtypes', () => {
    const table: Record<string, string | null> = {
      '<f2': 'float32', '>f4': 'float32', '<f8': 'float64', '|i1': 'int32', '>i2': 'int32', '<i4': 'int32',
      '<i8': 'int32', '|u1': 'int32', '<u2': 'int32', '>u4': 'int32', '<u8': 'int32', '|b1': 'bool', '<U4': null, '|O': null,
    };
    for (const [d, want] of Object.entries(table)) expect(fluxionDTypeOf(d), d).toBe(want);
  });

  it('big-endian int64 beyond int32 is an error value; within range it loads', () => {
    const be = (vals: bigint[]) => {
      const b = new Uint8Array(8 * vals.length);
      vals.forEach((v, i) => new DataView(b.buffer).setBigInt64(8 * i, v, false));
      return npy(`{'descr': '>i8', 'fortran_order': False, 'shape': (${vals.length},), }`, b);
    };
    expect(Array.from(right(decodeNpy(be([-5n, 2147483647n]))).data)).toEqual([-5, 2147483647]);
    expect(leftOf(decodeNpy(be([0n, -2147483649n]))).problems[0]).toMatchObject({ kind: 'value', found: '-2147483649' });
  });

  it('formatNpy(parseNpy(b)) is b for what Fluxion writes, and parseNpy shares the input bytes', () => {
    const b = encodeNpy(tensor([[1, 2], [3, 4]], { dtype: 'int32' }));
    const arr = right(parseNpy(b));
    expect(arr.data.buffer).toBe(b.buffer);
    expect(formatNpy(arr)).toEqual(b);
    expect(() => formatNpy({ ...arr, data: arr.data.subarray(1) })).toThrow(/needs 16 bytes/);
  });
});
