/**
 * Expected strings come from NumPy's own tests and docs where noted:
 *   [np-test]     numpy/_core/tests/test_arrayprint.py (numpy/numpy on GitHub)
 *   [np-doc]      numpy/_core/arrayprint.py docstrings, NumPy quickstart ("Printing arrays")
 *   [dpnp-test]   IntelPython/dpnp tests/test_dparray.py, which asserts NumPy-identical strings
 * NumPy's int64 default prints without a dtype; Fluxion's int32 is not NumPy's default int, so
 * NumPy prints `dtype=int32` for it, and the int examples below add that suffix.
 * Strings without a source were derived by hand from arrayprint.FloatingFormat / _formatArray.
 * Target behaviour: NumPy 1.14 - 2.1 defaults (no `shape=` suffix on summarised arrays, which
 * NumPy >= 2.2 adds; float exponent cutoff 1e8 for every dtype, as before NumPy 2.3).
 */
import { describe, expect, it } from 'vitest';
import { arange, linspace, scalar, tensor, zeros } from '../src/creation.js';
import { formatTensor, formatValue } from '../src/format.js';

const f64 = (values: number[], shape?: number[]) =>
  tensor(new Float64Array(values), shape ? { shape } : {});
const f32 = (values: number[], shape?: number[]) =>
  tensor(new Float32Array(values), shape ? { shape } : {});
const i32 = (values: number[], shape?: number[]) => tensor(new Int32Array(values), shape ? { shape } : {});
const range = (start: number, stop: number) => Array.from({ length: stop - start }, (_, i) => start + i);

describe('formatTensor: float32', () => {
  it('prints the seed tutorial column vector with float32 shortest digits', () => {
    // -1.34837043 is stored as float32 -1.34837043285..., whose shortest float32 repr is -1.3483704.
    const w = f32([0.31513408, 0.75111604, -1.34837043], [3, 1]);
    const expected = [
      'array([[ 0.31513408],',
      '       [ 0.75111604],',
      '       [-1.3483704 ]], dtype=float32)',
    ].join('\n');
    expect(formatTensor(w)).toBe(expected);
    expect(w.toString()).toBe(expected);
    expect(`${w}`).toBe(expected);
    expect(formatValue(w)).toBe('[[ 0.31513408]\n [ 0.75111604]\n [-1.3483704 ]]');
  });

  it('does not widen float32 to float64 digits', () => {
    // np.format_float_positional(np.float32(np.pi)) == '3.1415927' [np-doc]
    expect(formatTensor(tensor([Math.PI]))).toBe('array([3.1415927], dtype=float32)');
    expect(formatTensor(tensor([0.1, 0.2, 0.3]))).toBe('array([0.1, 0.2, 0.3], dtype=float32)');
  });

  it('prints integer-valued floats with a trailing point', () => {
    // [dpnp-test] test_print_dpnp_float
    expect(formatTensor(f32([1, -1, 21]))).toBe('array([ 1., -1., 21.], dtype=float32)');
    expect(formatValue(f32([1, -1, 21]))).toBe('[ 1. -1. 21.]');
  });

  it('moves the dtype to its own line when it would pass the line width', () => {
    // [np-test] test_dtype_linewidth_wrapping
    expect(formatTensor(arange(10, 20, 1, 'float32'))).toBe(
      'array([10., 11., 12., 13., 14., 15., 16., 17., 18., 19.], dtype=float32)',
    );
    expect(formatTensor(arange(10, 23, 1, 'float32'))).toBe(
      'array([10., 11., 12., 13., 14., 15., 16., 17., 18., 19., 20., 21., 22.],\n      dtype=float32)',
    );
  });
});

describe('formatTensor: float64', () => {
  it('aligns decimal points and pads the fraction with spaces', () => {
    // [np-test] TestPrintOptions.test_basic
    expect(formatTensor(f64([1.5, 0, 1.23456789]))).toBe('array([1.5       , 0.        , 1.23456789])');
    expect(formatTensor(f64([0.5, -1.25]))).toBe('array([ 0.5 , -1.25])');
    expect(formatTensor(f64([1.5, 2]))).toBe('array([1.5, 2. ])');
  });

  it('rounds to 8 decimals and trims trailing zeros', () => {
    // NumPy quickstart: 10 * np.sin(np.array([20, 30, 40, 50])) [np-doc]
    const v = f64([20, 30, 40, 50].map((a) => 10 * Math.sin(a)));
    expect(formatTensor(v)).toBe('array([ 9.12945251, -9.88031624,  7.4511316 , -2.62374854])');
    expect(formatTensor(f64([Math.PI]))).toBe('array([3.14159265])');
  });

  it('rounds the exact binary value half to even, as Dragon4 does', () => {
    // 2**-9 = 0.001953125 exactly: a tie at the 9th decimal, so it rounds down to the even 2
    // (Number.prototype.toFixed would round it up to ...313).
    expect(formatTensor(f64([0.001953125, 0.5]))).toBe('array([0.00195312, 0.5       ])');
  });

  it('wraps long rows at 75 columns', () => {
    // [np-test] test_floatmode, floatmode='maxprec', precision=8 (the defaults)
    const y = f64([
      0.2918820979355541, 0.5064172631089138, 0.2848750619642916, 0.4342965294660567, 0.7326538397312751,
      0.3459503329096204, 0.0862072768214508, 0.39112753029631175,
    ]);
    expect(formatTensor(y)).toBe(
      'array([0.2918821 , 0.50641726, 0.28487506, 0.43429653, 0.73265384,\n' +
        '       0.34595033, 0.08620728, 0.39112753])',
    );
  });

  it('pads by the widest integer part including the sign', () => {
    // [np-test] test_float_spacing and test_sign_spacing
    expect(formatTensor(f64([1, 2, 3]))).toBe('array([1., 2., 3.])');
    expect(formatTensor(f64([1, 2, -10]))).toBe('array([  1.,   2., -10.])');
    expect(formatTensor(f64([100, 2, -1]))).toBe('array([100.,   2.,  -1.])');
    expect(formatTensor(f64([-100, 2, 1]))).toBe('array([-100.,    2.,    1.])');
    expect(formatTensor(f64([0, -0]))).toBe('array([ 0., -0.])');
    expect(formatTensor(f64([0]))).toBe('array([0.])');
  });

  it('prints 2-d float arrays', () => {
    // [dpnp-test] test_print_dpnp_nd
    expect(formatTensor(f64([1, 2, 3, 4], [2, 2]))).toBe('array([[1., 2.],\n       [3., 4.]])');
  });
});

describe('formatTensor: scientific notation', () => {
  it('switches when max >= 1e8, min < 1e-4 or max/min > 1e3', () => {
    // [np-test] test_sign_spacing
    expect(formatTensor(f64([1.234e9]))).toBe('array([1.234e+09])');
    // [np-test] test_floatmode: w[::5] with w = 1e0..1e24
    expect(formatTensor(f64([1, 1e5, 1e10, 1e15, 1e20]))).toBe('array([1.e+00, 1.e+05, 1.e+10, 1.e+15, 1.e+20])');
    // [np-test] test_floatmode: wp, three-digit exponents pad every exponent
    expect(formatTensor(f64([12.34, 100, 1e123]))).toBe('array([1.234e+001, 1.000e+002, 1.000e+123])');
    expect(formatTensor(f64([1e-5, 1]))).toBe('array([1.e-05, 1.e+00])');
    expect(formatTensor(f64([-1.5e-5, 2]))).toBe('array([-1.5e-05,  2.0e+00])');
    expect(formatTensor(f64([1, 1001]))).toBe('array([1.000e+00, 1.001e+03])');
    expect(formatTensor(f64([1, 1000]))).toBe('array([   1., 1000.])');
  });

  it('uses the 1e8 cutoff for float32 too (NumPy < 2.3)', () => {
    // [np-test] test_legacy_2_2_mode
    expect(formatValue(f32([1e6, 1e7]))).toBe('[ 1000000. 10000000.]');
    expect(formatValue(f32([1e7, 1e8]))).toBe('[1.e+07 1.e+08]');
  });
});

describe('formatTensor: nan and inf', () => {
  it('prints nan, inf and -inf aligned with the other values', () => {
    // [np-test] TestArrayRepr.test_nan_inf, test_float_spacing
    expect(formatTensor(f64([NaN, Infinity]))).toBe('array([nan, inf])');
    expect(formatTensor(f64([NaN, -Infinity]))).toBe('array([ nan, -inf])');
    // [dpnp-test] test_print_dpnp_special_character
    expect(formatTensor(f64([1, 0, NaN, 3]))).toBe('array([ 1.,  0., nan,  3.])');
    expect(formatValue(f64([1, 0, Infinity, 3]))).toBe('[ 1.  0. inf  3.]');
    expect(formatTensor(f32([NaN, 1.5, -Infinity]))).toBe('array([ nan,  1.5, -inf], dtype=float32)');
  });
});

describe('formatTensor: int32 and bool', () => {
  it('right-aligns ints and always shows dtype=int32', () => {
    // [dpnp-test] test_print_dpnp_int
    expect(formatTensor(i32([1, 0, 2, -3, -1, 2, 21, -9]))).toBe(
      'array([ 1,  0,  2, -3, -1,  2, 21, -9], dtype=int32)',
    );
    expect(formatValue(i32([1, 0, 2, -3, -1, 2, 21, -9]))).toBe('[ 1  0  2 -3 -1  2 21 -9]');
    expect(formatTensor(tensor([1, 2, 3], { dtype: 'int32' }))).toBe('array([1, 2, 3], dtype=int32)');
  });

  it('prints bools with a leading space on True', () => {
    // [np-test] test_bool_spacing
    expect(formatTensor(tensor([true, true]))).toBe('array([ True,  True])');
    expect(formatTensor(tensor([true, false]))).toBe('array([ True, False])');
    expect(formatTensor(tensor([true]))).toBe('array([ True])');
    expect(formatTensor(scalar(true))).toBe('array(True)');
    expect(formatTensor(scalar(false))).toBe('array(False)');
    // [dpnp-test] test_print_dpnp_boolean
    expect(formatValue(tensor([true, false, true]))).toBe('[ True False  True]');
  });
});

describe('formatTensor: scalars and empty tensors', () => {
  it('prints 0-d tensors', () => {
    expect(formatTensor(scalar(1.5))).toBe('array(1.5, dtype=float32)');
    // [np-test] test_float_spacing / test_sign_spacing
    expect(formatTensor(scalar(1, 'float64'))).toBe('array(1.)');
    expect(formatTensor(scalar(-10, 'float64'))).toBe('array(-10.)');
    expect(formatTensor(scalar(3, 'int32'))).toBe('array(3, dtype=int32)');
    expect(formatTensor(scalar(NaN, 'float64'))).toBe('array(nan)');
  });

  it('formatValue of a 0-d tensor prints the scalar like NumPy str', () => {
    // [np-test] test_0d_object_subclass: str(np.array(1)) == '1'
    expect(formatValue(scalar(1, 'int32'))).toBe('1');
    expect(formatValue(scalar(1, 'float64'))).toBe('1.0');
    expect(formatValue(scalar(1.5))).toBe('1.5');
    expect(formatValue(scalar(0.1))).toBe('0.1');
    expect(formatValue(scalar(1e16, 'float64'))).toBe('1e+16');
    expect(formatValue(scalar(1.5e-5, 'float64'))).toBe('1.5e-05');
    expect(formatValue(scalar(true))).toBe('True');
  });

  it('prints empty tensors with dtype, and shape unless it is (0,)', () => {
    // [np-doc] np.array_repr(np.array([], np.int32)) == 'array([], dtype=int32)'
    expect(formatTensor(tensor(new Int32Array(0)))).toBe('array([], dtype=int32)');
    expect(formatTensor(zeros([0]))).toBe('array([], dtype=float32)');
    expect(formatTensor(zeros([0], 'float64'))).toBe('array([], dtype=float64)');
    expect(formatTensor(zeros([0, 3]))).toBe('array([], shape=(0, 3), dtype=float32)');
    expect(formatTensor(zeros([2, 0], 'bool'))).toBe('array([], shape=(2, 0), dtype=bool)');
    expect(formatValue(zeros([0, 3]))).toBe('[]');
  });
});

describe('formatTensor: nesting', () => {
  it('prints 2-d and 3-d int arrays with NumPy indentation and blank lines', () => {
    // NumPy quickstart [np-doc]: np.arange(12).reshape(3, 4) and np.arange(24).reshape(2, 3, 4)
    expect(formatTensor(i32(range(0, 12), [3, 4]))).toBe(
      'array([[ 0,  1,  2,  3],\n       [ 4,  5,  6,  7],\n       [ 8,  9, 10, 11]], dtype=int32)',
    );
    const c = i32(range(0, 24), [2, 3, 4]);
    expect(formatValue(c)).toBe(
      [
        '[[[ 0  1  2  3]',
        '  [ 4  5  6  7]',
        '  [ 8  9 10 11]]',
        '',
        ' [[12 13 14 15]',
        '  [16 17 18 19]',
        '  [20 21 22 23]]]',
      ].join('\n'),
    );
    expect(formatTensor(c)).toBe(
      [
        'array([[[ 0,  1,  2,  3],',
        '        [ 4,  5,  6,  7],',
        '        [ 8,  9, 10, 11]],',
        '',
        '       [[12, 13, 14, 15],',
        '        [16, 17, 18, 19],',
        '        [20, 21, 22, 23]]], dtype=int32)',
      ].join('\n'),
    );
  });

  it('prints 3-d float arrays', () => {
    expect(formatTensor(zeros([2, 2, 2], 'float64'))).toBe(
      'array([[[0., 0.],\n        [0., 0.]],\n\n       [[0., 0.],\n        [0., 0.]]])',
    );
    expect(formatTensor(zeros([1, 1, 1, 1]))).toBe('array([[[[0.]]]], dtype=float32)');
  });
});

describe('formatTensor: summarisation above 1000 elements', () => {
  it('summarises a 2000-element float vector; widths come from the shown items only', () => {
    // Shown items 0, 1, 2, 1997, 1998, 1999 have max/min = 1999 > 1e3, so NumPy switches to
    // scientific notation; cf. repr(np.arange(10000, dtype='float32')) in [dpnp-test].
    expect(formatTensor(arange(0, 2000, 1, 'float64'))).toBe(
      'array([0.000e+00, 1.000e+00, 2.000e+00, ..., 1.997e+03, 1.998e+03,\n       1.999e+03])',
    );
    expect(formatTensor(arange(0, 10000, 1, 'float32'))).toBe(
      'array([0.000e+00, 1.000e+00, 2.000e+00, ..., 9.997e+03, 9.998e+03,\n       9.999e+03], dtype=float32)',
    );
    expect(formatValue(arange(0, 10000, 1, 'float32'))).toBe(
      '[0.000e+00 1.000e+00 2.000e+00 ... 9.997e+03 9.998e+03 9.999e+03]',
    );
    // In fixed notation the summarised vector reads `[1000., 1001., 1002., ..., 2999.]`.
    expect(formatTensor(arange(1000, 3000, 1, 'float64'))).toBe(
      'array([1000., 1001., 1002., ..., 2997., 2998., 2999.])',
    );
    // Shown items 0.5, 0.50025, 0.5005, 0.9995, 0.99975, 1 (step 0.00025): fixed notation.
    expect(formatTensor(linspace(0.5, 1, 2001, 'float64'))).toBe(
      'array([0.5    , 0.50025, 0.5005 , ..., 0.9995 , 0.99975, 1.     ])',
    );
  });

  it('summarises int vectors and does not summarise at exactly 1000 elements', () => {
    expect(formatTensor(arange(2000))).toBe('array([   0,    1,    2, ..., 1997, 1998, 1999], dtype=int32)');
    // [np-test] test_summarize_1d (repr as in legacy='2.1', plus dtype=int32)
    expect(formatValue(arange(1001))).toBe('[   0    1    2 ...  998  999 1000]');
    expect(formatTensor(arange(1001))).toBe('array([   0,    1,    2, ...,  998,  999, 1000], dtype=int32)');
    const full = formatValue(arange(1000));
    expect(full).not.toContain('...');
    expect(full.startsWith('[  0   1   2   3')).toBe(true);
  });

  it('summarises every axis of a large matrix', () => {
    // [np-test] test_summarize_2d
    const a = i32(range(0, 1002), [2, 501]);
    expect(formatValue(a)).toBe('[[   0    1    2 ...  498  499  500]\n [ 501  502  503 ...  999 1000 1001]]');
    expect(formatTensor(a)).toBe(
      'array([[   0,    1,    2, ...,  498,  499,  500],\n' +
        '       [ 501,  502,  503, ...,  999, 1000, 1001]], dtype=int32)',
    );
    // NumPy quickstart [np-doc]: print(np.arange(10000).reshape(100, 100))
    expect(formatValue(i32(range(0, 10000), [100, 100]))).toBe(
      [
        '[[   0    1    2 ...   97   98   99]',
        ' [ 100  101  102 ...  197  198  199]',
        ' [ 200  201  202 ...  297  298  299]',
        ' ...',
        ' [9700 9701 9702 ... 9797 9798 9799]',
        ' [9800 9801 9802 ... 9897 9898 9899]',
        ' [9900 9901 9902 ... 9997 9998 9999]]',
      ].join('\n'),
    );
  });
});

describe('formatTensor: abstract tensors', () => {
  it('does not throw for a tensor without values', async () => {
    const { Tensor } = await import('../src/tensor.js');
    const t = new Tensor([2, 3], 'float32', null);
    expect(formatTensor(t)).toBe('Tensor(<abstract>, shape=(2, 3), dtype=float32)');
  });
});
