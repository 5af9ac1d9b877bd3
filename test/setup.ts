import fc from 'fast-check';
import { expect } from 'vitest';
import { fluxionMatchers, type AllcloseOptions } from '@fluxion/core/testing';

expect.extend(fluxionMatchers);

// Property tests draw from a fixed seed so that CI and every clone see the same cases; set
// FC_SEED=random (or a number) to explore other draws. A failure prints its seed and path.
const seedEnv = process.env['FC_SEED'];
if (seedEnv !== 'random') fc.configureGlobal({ seed: seedEnv === undefined ? 20261128 : Number(seedEnv) });

declare module 'vitest' {
  interface Assertion<T> {
    /** Elementwise |actual − expected| ≤ atol + rtol·|expected|, equal shapes. */
    toBeAllclose(expected: unknown, opts?: AllcloseOptions): T;
  }
}
