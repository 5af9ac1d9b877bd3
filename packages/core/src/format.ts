/**
 * NumPy-style printing of tensors.
 *
 * `formatTensor` mirrors `numpy.array_repr` and `formatValue` mirrors `numpy.array_str`, both with
 * NumPy's default print options as of NumPy 1.14 through 2.2 (precision 8, floatmode 'maxprec',
 * sign '-', suppress False, threshold 1000, edgeitems 3, linewidth 75). The code follows
 * `numpy/_core/arrayprint.py` (`_formatArray`, `FloatingFormat`, `IntegerFormat`, `BoolFormat`,
 * `_array_repr_implementation`) and the digit generation of `numpy/_core/src/multiarray/dragon4.c`,
 * so floats print with the shortest digits that identify the value in its own dtype (float32
 * values are not widened to float64 first) and rounding uses the exact binary value.
 *
 * This module must only `import type` from tensor.ts: tensor.ts imports it at runtime.
 */
import type { DType } from './dtype.js';
import type { Tensor } from './tensor.js';
import { stridesOf } from './shape.js';

const PRECISION = 8;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 75;
const SUMMARY_INSERT = '...';

/** Prints like NumPy's `repr(array)`: `array([[ 0.31513408],\n       [-1.3483704 ]], dtype=float32)`. */
export function formatTensor(t: Tensor): string {
  if (t._data === null) return abstractDescription(t);
  const prefix = 'array(';
  const data = t._data;
  let body: string;
  if (t.size === 0) {
    body = '[]';
  } else {
    const fmt = makeFormatter(t.dtype, t.shape, data, t.size > THRESHOLD);
    // array2string subtracts len(suffix) = len(')') from the line width for repr.
    body = formatArray(t.shape, data, fmt, LINE_WIDTH - 1, ' '.repeat(prefix.length + 1), ', ', t.size > THRESHOLD);
  }
  const extras: string[] = [];
  if (t.size === 0 && !(t.shape.length === 1 && t.shape[0] === 0)) extras.push(`shape=${pyTuple(t.shape)}`);
  if (!dtypeIsImplied(t.dtype) || t.size === 0) extras.push(`dtype=${t.dtype}`);
  if (extras.length === 0) return prefix + body + ')';
  const arrStr = prefix + body + ',';
  const extraStr = extras.join(', ') + ')';
  const lastLineLen = arrStr.length - (arrStr.lastIndexOf('\n') + 1);
  const spacer = lastLineLen + extraStr.length + 1 > LINE_WIDTH ? '\n' + ' '.repeat(prefix.length) : ' ';
  return arrStr + spacer + extraStr;
}

/** Prints like NumPy's `str(array)`: `[[ 0.31513408]\n [ 0.75111604]]`; a 0-d tensor prints its scalar. */
export function formatValue(t: Tensor): string {
  if (t._data === null) return abstractDescription(t);
  const data = t._data;
  if (t.shape.length === 0) return scalarStr(t.dtype, data[0]!);
  if (t.size === 0) return '[]';
  const summarise = t.size > THRESHOLD;
  const fmt = makeFormatter(t.dtype, t.shape, data, summarise);
  return formatArray(t.shape, data, fmt, LINE_WIDTH, ' ', ' ', summarise);
}

type Indexable = { readonly length: number; readonly [index: number]: number };
type ElementFormatter = (v: number) => string;

function abstractDescription(t: Tensor): string {
  return `Tensor(<abstract>, shape=${pyTuple(t.shape)}, dtype=${t.dtype})`;
}

/** Python's repr of a tuple of ints: `()`, `(3,)`, `(0, 3)`. */
function pyTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** NumPy omits the dtype for its default int (int64 on Linux), float64 and bool; int32 and float32 show it. */
function dtypeIsImplied(dtype: DType): boolean {
  return dtype === 'float64' || dtype === 'bool';
}

// ---------------------------------------------------------------------------------------------
// Layout (port of arrayprint._formatArray, non-legacy mode)
// ---------------------------------------------------------------------------------------------

/** The indices shown along an axis of length n: all, or the first and last EDGE_ITEMS. */
function shownIndices(n: number, summarise: boolean): number[] {
  if (summarise && n > 2 * EDGE_ITEMS) {
    const out: number[] = [];
    for (let i = 0; i < EDGE_ITEMS; i++) out.push(i);
    for (let i = n - EDGE_ITEMS; i < n; i++) out.push(i);
    return out;
  }
  return Array.from({ length: n }, (_, i) => i);
}

/** The values that will be printed (NumPy's `_leading_trailing`), which decide widths and notation. */
function shownValues(shape: readonly number[], data: Indexable, summarise: boolean): number[] {
  if (!summarise) return Array.from({ length: data.length }, (_, i) => data[i]!);
  const strides = stridesOf(shape);
  const out: number[] = [];
  const walk = (axis: number, offset: number): void => {
    if (axis === shape.length) {
      out.push(data[offset]!);
      return;
    }
    for (const i of shownIndices(shape[axis]!, true)) walk(axis + 1, offset + i * strides[axis]!);
  };
  walk(0, 0);
  return out;
}

function formatArray(
  shape: readonly number[],
  data: Indexable,
  fmt: ElementFormatter,
  lineWidth: number,
  nextLinePrefix: string,
  separator: string,
  summarise: boolean,
): string {
  const ndim = shape.length;
  const strides = stridesOf(shape);
  const sepStripped = separator.trimEnd();

  const recurse = (axis: number, offset: number, hangingIndent: string, currWidth: number): string => {
    const axesLeft = ndim - axis;
    if (axesLeft === 0) return fmt(data[offset]!);
    const nextHangingIndent = hangingIndent + ' ';
    const nextWidth = currWidth - 1; // room for the closing ']'
    const n = shape[axis]!;
    const stride = strides[axis]!;
    const showSummary = summarise && 2 * EDGE_ITEMS < n;
    const leading = showSummary ? EDGE_ITEMS : 0;
    const trailing = showSummary ? EDGE_ITEMS : n;
    const child = (i: number): string => recurse(axis + 1, offset + i * stride, nextHangingIndent, nextWidth);

    let s = '';
    if (axesLeft === 1) {
      const elemWidth = currWidth - Math.max(sepStripped.length, 1);
      let line = hangingIndent;
      const extend = (word: string): void => {
        // Wrap when the word would pass the width, unless the line holds nothing yet.
        if (line.length + word.length > elemWidth && line.length > hangingIndent.length) {
          s += line.trimEnd() + '\n';
          line = hangingIndent;
        }
        line += word;
      };
      for (let i = 0; i < leading; i++) {
        extend(child(i));
        line += separator;
      }
      if (showSummary) {
        extend(SUMMARY_INSERT);
        line += separator;
      }
      for (let i = trailing; i > 1; i--) {
        extend(child(n - i));
        line += separator;
      }
      extend(child(n - 1));
      s += line;
    } else {
      const lineSep = sepStripped + '\n'.repeat(axesLeft - 1);
      for (let i = 0; i < leading; i++) s += hangingIndent + child(i) + lineSep;
      if (showSummary) s += hangingIndent + SUMMARY_INSERT + lineSep;
      for (let i = trailing; i > 1; i--) s += hangingIndent + child(n - i) + lineSep;
      s += hangingIndent + child(n - 1);
    }
    return '[' + s.slice(hangingIndent.length) + ']';
  };

  return recurse(0, 0, nextLinePrefix, lineWidth);
}

// ---------------------------------------------------------------------------------------------
// Element formatters (IntegerFormat, BoolFormat, FloatingFormat)
// ---------------------------------------------------------------------------------------------

function makeFormatter(dtype: DType, shape: readonly number[], data: Indexable, summarise: boolean): ElementFormatter {
  const values = shownValues(shape, data, summarise);
  switch (dtype) {
    case 'bool': {
      const trueStr = shape.length === 0 ? 'True' : ' True';
      return (v) => (v ? trueStr : 'False');
    }
    case 'int32': {
      let width = 0;
      for (const v of values) width = Math.max(width, String(v).length);
      return (v) => String(v).padStart(width);
    }
    case 'float32':
    case 'float64':
      return floatingFormat(values, dtype);
  }
}

type FloatDType = 'float32' | 'float64';

function floatingFormat(values: readonly number[], dtype: FloatDType): ElementFormatter {
  const finite = values.filter((v) => Number.isFinite(v));

  let expFormat = false;
  let maxVal = 0;
  let minVal = Infinity;
  for (const v of finite) {
    if (v === 0) continue;
    const a = Math.abs(v);
    if (a > maxVal) maxVal = a;
    if (a < minVal) minVal = a;
  }
  if (maxVal > 0) {
    // max_val / min_val is computed in the array's dtype.
    const ratio = dtype === 'float32' ? Math.fround(maxVal / minVal) : maxVal / minVal;
    if (maxVal >= 1e8 || minVal < 1e-4 || ratio > 1000) expFormat = true;
  }

  let padLeft = 0;
  let padRight = 0;
  let precision = PRECISION;
  let expSize = -1;
  if (finite.length > 0) {
    if (expFormat) {
      let maxExpLen = 0;
      let maxFrac = 0;
      for (const v of finite) {
        const s = dragon4Scientific(v, dtype, { precision: PRECISION, minDigits: -1, trim: '.', padLeft: -1, expDigits: -1 });
        const e = s.indexOf('e');
        const mantissa = s.slice(0, e);
        const dot = mantissa.indexOf('.');
        maxExpLen = Math.max(maxExpLen, s.length - e - 1);
        padLeft = Math.max(padLeft, dot);
        maxFrac = Math.max(maxFrac, mantissa.length - dot - 1);
      }
      expSize = maxExpLen - 1;
      precision = maxFrac;
      padRight = expSize + 2 + precision;
    } else {
      for (const v of finite) {
        const s = dragon4Positional(v, dtype, { precision: PRECISION, minDigits: -1, trim: '.', padLeft: -1, padRight: -1 });
        const dot = s.indexOf('.');
        padLeft = Math.max(padLeft, dot);
        padRight = Math.max(padRight, s.length - dot - 1);
      }
    }
  }

  if (finite.length !== values.length) {
    const negInf = values.some((v) => v === -Infinity);
    const offset = padRight + 1; // +1 for the decimal point
    padLeft = Math.max(padLeft, 'nan'.length - offset, 'inf'.length + (negInf ? 1 : 0) - offset);
  }

  const fPadLeft = padLeft;
  const fPadRight = padRight;
  const fPrecision = precision;
  const fExpSize = expSize;
  return (v: number): string => {
    if (!Number.isFinite(v)) {
      const ret = Number.isNaN(v) ? 'nan' : v < 0 ? '-inf' : 'inf';
      return ' '.repeat(Math.max(0, fPadLeft + fPadRight + 1 - ret.length)) + ret;
    }
    if (expFormat) {
      return dragon4Scientific(v, dtype, {
        precision: fPrecision,
        minDigits: fPrecision,
        trim: 'k',
        padLeft: fPadLeft,
        expDigits: fExpSize,
      });
    }
    return dragon4Positional(v, dtype, { precision: PRECISION, minDigits: 0, trim: '.', padLeft: fPadLeft, padRight: fPadRight });
  };
}

/** `str` of a NumPy scalar (what `str` of a 0-d array prints). */
function scalarStr(dtype: DType, v: number): string {
  switch (dtype) {
    case 'bool':
      return v ? 'True' : 'False';
    case 'int32':
      return String(v);
    case 'float32':
    case 'float64': {
      if (Number.isNaN(v)) return 'nan';
      if (!Number.isFinite(v)) return v < 0 ? '-inf' : 'inf';
      const a = Math.abs(v);
      if (a === 0 || (a >= 1e-4 && a < 1e16)) {
        return dragon4Positional(v, dtype, { precision: -1, minDigits: -1, trim: '0', padLeft: -1, padRight: -1 });
      }
      return dragon4Scientific(v, dtype, { precision: -1, minDigits: -1, trim: '-', padLeft: -1, expDigits: -1 });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Dragon4 (port of numpy/_core/src/multiarray/dragon4.c, unique digit mode only)
// ---------------------------------------------------------------------------------------------

/** Trim modes: 'k' keep zeros and '.', '.' trim zeros keep '.', '0' keep one zero, '-' trim zeros and '.'. */
type TrimMode = 'k' | '.' | '0' | '-';

interface FloatParts {
  readonly negative: boolean;
  /** value = mantissa * 2^exponent */
  readonly mantissa: bigint;
  readonly exponent: number;
  /** Index of the highest set bit of the mantissa. */
  readonly mantissaBit: number;
  /** True when the gap to the next value below is half the gap above (a power of two). */
  readonly unequalMargins: boolean;
}

const scratch = new DataView(new ArrayBuffer(8));

function decompose(v: number, dtype: FloatDType): FloatParts {
  if (dtype === 'float32') {
    scratch.setFloat32(0, v);
    const bits = scratch.getUint32(0);
    const frac = bits & 0x7fffff;
    const expField = (bits >>> 23) & 0xff;
    const negative = bits >>> 31 !== 0;
    if (expField !== 0) {
      return {
        negative,
        mantissa: BigInt(frac | 0x800000),
        exponent: expField - 127 - 23,
        mantissaBit: 23,
        unequalMargins: expField !== 1 && frac === 0,
      };
    }
    return { negative, mantissa: BigInt(frac), exponent: 1 - 127 - 23, mantissaBit: log2Floor(frac), unequalMargins: false };
  }
  scratch.setFloat64(0, v);
  const hi = scratch.getUint32(0);
  const lo = scratch.getUint32(4);
  const negative = hi >>> 31 !== 0;
  const expField = (hi >>> 20) & 0x7ff;
  const fracHi = hi & 0xfffff;
  const frac = (BigInt(fracHi) << 32n) | BigInt(lo);
  if (expField !== 0) {
    return {
      negative,
      mantissa: frac | (1n << 52n),
      exponent: expField - 1023 - 52,
      mantissaBit: 52,
      unequalMargins: expField !== 1 && frac === 0n,
    };
  }
  return { negative, mantissa: frac, exponent: 1 - 1023 - 52, mantissaBit: frac === 0n ? 0 : frac.toString(2).length - 1, unequalMargins: false };
}

function log2Floor(x: number): number {
  return x === 0 ? 0 : 31 - Math.clz32(x);
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/**
 * Shortest-unique digit generation with optional cutoffs, exactly as NumPy's Dragon4 in
 * DigitMode_Unique. `cutoffMax`/`cutoffMin` count digits past the decimal point ('fraction') or
 * significant digits ('total'); -1 means none. Returns the digits and the decimal exponent of
 * the first digit.
 */
function dragon4(
  p: FloatParts,
  cutoffMode: 'fraction' | 'total',
  cutoffMax: number,
  cutoffMin: number,
): { digits: string; exponent: number } {
  const { mantissa, exponent, mantissaBit, unequalMargins } = p;
  if (mantissa === 0n) return { digits: '0', exponent: 0 };
  const isEven = (mantissa & 1n) === 0n;

  // value = scaledValue / scale; the margins are half the distance to the neighbouring floats.
  let scaledValue: bigint;
  let scale: bigint;
  let marginLow: bigint;
  if (unequalMargins) {
    if (exponent > 0) {
      scaledValue = mantissa << BigInt(exponent + 2);
      scale = 4n;
      marginLow = 1n << BigInt(exponent);
    } else {
      scaledValue = mantissa << 2n;
      scale = 1n << BigInt(-exponent + 2);
      marginLow = 1n;
    }
  } else if (exponent > 0) {
    scaledValue = mantissa << BigInt(exponent + 1);
    scale = 2n;
    marginLow = 1n << BigInt(exponent);
  } else {
    scaledValue = mantissa << 1n;
    scale = 1n << BigInt(-exponent + 1);
    marginLow = 1n;
  }
  const marginHigh = (): bigint => (unequalMargins ? marginLow * 2n : marginLow);

  // Estimate of floor(log10(v)) + 1, correct or one too low (Burger & Dybvig).
  let digitExponent = Math.ceil((mantissaBit + exponent) * 0.30102999566398119521373889472449 - 0.69);
  if (cutoffMax >= 0 && cutoffMode === 'fraction' && digitExponent <= -cutoffMax) {
    digitExponent = -cutoffMax + 1;
  }
  if (digitExponent > 0) {
    scale *= pow10(digitExponent);
  } else if (digitExponent < 0) {
    const p10 = pow10(-digitExponent);
    scaledValue *= p10;
    marginLow *= p10;
  }
  if (scaledValue >= scale) {
    digitExponent += 1;
  } else {
    scaledValue *= 10n;
    marginLow *= 10n;
  }

  let cutoffMaxExponent = digitExponent - 100000; // effectively no cutoff
  if (cutoffMax >= 0) {
    const desired = cutoffMode === 'total' ? digitExponent - cutoffMax : -cutoffMax;
    if (desired > cutoffMaxExponent) cutoffMaxExponent = desired;
  }
  let cutoffMinExponent = digitExponent;
  if (cutoffMin >= 0) {
    const desired = cutoffMode === 'total' ? digitExponent - cutoffMin : -cutoffMin;
    if (desired < cutoffMinExponent) cutoffMinExponent = desired;
  }
  let outExponent = digitExponent - 1;

  const out: number[] = [];
  let outputDigit: number;
  let low: boolean;
  let high: boolean;
  for (;;) {
    digitExponent -= 1;
    outputDigit = Number(scaledValue / scale);
    scaledValue %= scale;
    const scaledValueHigh = scaledValue + marginHigh();
    low = isEven ? scaledValue <= marginLow : scaledValue < marginLow;
    high = isEven ? scaledValueHigh >= scale : scaledValueHigh > scale;
    if (((low || high) && digitExponent <= cutoffMinExponent) || digitExponent === cutoffMaxExponent) break;
    out.push(outputDigit);
    scaledValue *= 10n;
    marginLow *= 10n;
  }

  let roundDown = low;
  if (low === high) {
    const twice = scaledValue * 2n;
    roundDown = twice < scale || (twice === scale && (outputDigit & 1) === 0);
  }
  if (roundDown) {
    out.push(outputDigit);
  } else if (outputDigit === 9) {
    for (;;) {
      if (out.length === 0) {
        out.push(1);
        outExponent += 1;
        break;
      }
      const last = out.pop()!;
      if (last !== 9) {
        out.push(last + 1);
        break;
      }
    }
  } else {
    out.push(outputDigit + 1);
  }
  return { digits: out.join(''), exponent: outExponent };
}

interface PositionalOptions {
  readonly precision: number;
  readonly minDigits: number;
  readonly trim: TrimMode;
  readonly padLeft: number;
  readonly padRight: number;
}

/** numpy.format_float_positional(x, unique=True, fractional=True, ...) for a finite value. */
function dragon4Positional(v: number, dtype: FloatDType, o: PositionalOptions): string {
  const parts = decompose(v, dtype);
  const sign = parts.negative ? '-' : '';
  const { digits, exponent } = dragon4(parts, 'fraction', o.precision, o.minDigits);

  let body: string;
  let numWhole: number;
  let numFrac: number;
  if (exponent >= 0) {
    numWhole = exponent + 1;
    if (digits.length <= numWhole) {
      body = digits + '0'.repeat(numWhole - digits.length);
      numFrac = 0;
    } else {
      body = digits.slice(0, numWhole) + '.' + digits.slice(numWhole);
      numFrac = digits.length - numWhole;
    }
  } else {
    const zeros = -(exponent + 1);
    body = '0.' + '0'.repeat(zeros) + digits;
    numFrac = zeros + digits.length;
    numWhole = 1;
  }
  if (o.trim !== '-' && numFrac === 0) body += '.';

  const desiredFrac = Math.max(o.minDigits, 0);
  if (o.trim === '0') {
    if (numFrac === 0) {
      body += '0';
      numFrac++;
    }
  } else if (o.trim === 'k' && desiredFrac > numFrac) {
    body += '0'.repeat(desiredFrac - numFrac);
    numFrac = desiredFrac;
  }
  if (o.trim !== 'k' && numFrac > 0) {
    while (body.endsWith('0')) {
      body = body.slice(0, -1);
      numFrac--;
    }
    if (body.endsWith('.')) {
      if (o.trim === '0') {
        body += '0';
        numFrac++;
      } else if (o.trim === '-') {
        body = body.slice(0, -1);
      }
    }
  }

  let s = sign + body;
  if (o.padRight >= numFrac) {
    if (o.trim === '-' && numFrac === 0) s += ' ';
    s += ' '.repeat(o.padRight - numFrac);
  }
  if (o.padLeft > numWhole + sign.length) s = ' '.repeat(o.padLeft - numWhole - sign.length) + s;
  return s;
}

interface ScientificOptions {
  readonly precision: number;
  readonly minDigits: number;
  readonly trim: TrimMode;
  readonly padLeft: number;
  readonly expDigits: number;
}

/** numpy.format_float_scientific(x, unique=True, ...) for a finite value. */
function dragon4Scientific(v: number, dtype: FloatDType, o: ScientificOptions): string {
  const parts = decompose(v, dtype);
  const sign = parts.negative ? '-' : '';
  const leftChars = 1 + sign.length;
  const pad = o.padLeft > leftChars ? ' '.repeat(o.padLeft - leftChars) : '';
  const { digits, exponent } = dragon4(
    parts,
    'total',
    o.precision < 0 ? -1 : o.precision + 1,
    o.minDigits < 0 ? -1 : o.minDigits + 1,
  );

  let body = digits.slice(0, 1);
  let numFrac = digits.length - 1;
  if (numFrac > 0) body += '.' + digits.slice(1);
  if (o.trim !== '-' && numFrac === 0) body += '.';

  const addDigits = Math.max(o.minDigits, 0);
  if (o.trim === '0') {
    if (numFrac === 0) {
      body += '0';
      numFrac++;
    }
  } else if (o.trim === 'k' && addDigits > numFrac) {
    body += '0'.repeat(addDigits - numFrac);
    numFrac = addDigits;
  }
  if (o.trim !== 'k' && numFrac > 0) {
    while (body.endsWith('0')) {
      body = body.slice(0, -1);
      numFrac--;
    }
    if (o.trim === '0' && body.endsWith('.')) body += '0';
  }

  const expDigits = o.expDigits < 0 ? 2 : Math.min(o.expDigits, 5);
  const expStr = String(Math.abs(exponent)).padStart(expDigits, '0');
  return pad + sign + body + 'e' + (exponent >= 0 ? '+' : '-') + expStr;
}
