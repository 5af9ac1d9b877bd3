import { expect } from 'vitest';
import { fluxionMatchers, type AllcloseOptions } from '@fluxion/core/testing';

expect.extend(fluxionMatchers);

declare module 'vitest' {
  interface Assertion<T> {
    /** Elementwise |actual − expected| ≤ atol + rtol·|expected|, equal shapes. */
    toBeAllclose(expected: unknown, opts?: AllcloseOptions): T;
  }
}
