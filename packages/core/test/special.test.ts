import { describe, expect, it } from 'vitest';
import { erf, erfc, tensor } from '@fluxion/core';

// Reference values from Abramowitz & Stegun, Table 7.1, and the DLMF (erfc(5), erfc(10)).
describe('erf and erfc ops', () => {
  it('match tabulated values in float64', () => {
    const x = tensor([0, 0.5, 1, 2, -1], { dtype: 'float64' });
    expect(erf(x)).toBeAllclose([0, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527, -0.8427007929497149], {
      rtol: 1e-15,
      atol: 1e-16,
    });
  });

  it('keeps erfc accurate relative to its size in the right tail, where 1 - erf cancels', () => {
    const x = tensor([2, 5, 10], { dtype: 'float64' });
    expect(erfc(x)).toBeAllclose([0.004677734981047266, 1.5374597944280349e-12, 2.088487583762545e-45], { rtol: 1e-13 });
  });

  it('rounds to float32 for float32 input', () => {
    expect(erf(tensor([0.5])).item()).toBe(Math.fround(0.5204998778130465));
  });
});
