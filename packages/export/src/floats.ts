/** Exact spellings of floats: C99 hexadecimal literals and little-endian base64 for JS. */

const scratch = new DataView(new ArrayBuffer(8));

function trimHex(h: string): string {
  const t = h.replace(/0+$/, '');
  return t === '' ? '' : `.${t}`;
}

/** A float64 as an exact C99 hex literal (`0x1.999999999999ap-3`); `NAN`/`INFINITY` from math.h. */
export function hexDouble(v: number): string {
  if (v !== v) return 'NAN';
  if (v === Infinity) return 'INFINITY';
  if (v === -Infinity) return '-INFINITY';
  scratch.setFloat64(0, v);
  const hi = scratch.getUint32(0);
  const lo = scratch.getUint32(4);
  const sign = hi >>> 31 ? '-' : '';
  const exp = (hi >>> 20) & 0x7ff;
  const mant = (hi & 0xfffff).toString(16).padStart(5, '0') + lo.toString(16).padStart(8, '0');
  if (exp === 0) return mant === '0000000000000' ? `${sign}0x0p+0` : `${sign}0x0${trimHex(mant)}p-1022`;
  const e = exp - 1023;
  return `${sign}0x1${trimHex(mant)}p${e >= 0 ? '+' : ''}${e}`;
}

/** A float32 value as an exact C99 float literal (`0x1.99999ap-3f`); `NAN`/`INFINITY` from math.h. */
export function hexFloat(v: number): string {
  if (v !== v) return 'NAN';
  if (v === Infinity) return 'INFINITY';
  if (v === -Infinity) return '-INFINITY';
  scratch.setFloat32(0, v);
  const bits = scratch.getUint32(0);
  const sign = bits >>> 31 ? '-' : '';
  const exp = (bits >>> 23) & 0xff;
  const mant = ((bits & 0x7fffff) << 1).toString(16).padStart(6, '0');
  if (exp === 0) return mant === '000000' ? `${sign}0x0p+0f` : `${sign}0x0${trimHex(mant)}p-126f`;
  const e = exp - 127;
  return `${sign}0x1${trimHex(mant)}p${e >= 0 ? '+' : ''}${e}f`;
}

/** A double as a JS literal that reads back exactly (JS prints the shortest round-trip digits). */
export function jsNumber(v: number): string {
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 (with padding) of `bytes`. */
export function base64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >>> 18]! + B64[(n >>> 12) & 63]! + B64[(n >>> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64[n >>> 18]! + B64[(n >>> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64[n >>> 18]! + B64[(n >>> 12) & 63]! + B64[(n >>> 6) & 63]! + '=';
  }
  return out;
}

/** The little-endian bytes of float32 values. */
export function float32Bytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return out;
}
