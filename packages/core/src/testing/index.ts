/**
 * @fluxion/core/testing: the helpers Fluxion's own tests use, shipped for users' tests too.
 * fast-check arbitraries for shapes and tensors, `checkGrad` (autodiff against finite
 * differences in float64), and an `allclose` comparison with a vitest matcher.
 */
export { shape, broadcastablePair, tensorOf, type ShapeOptions, type TensorArbOptions } from './arbitraries.js';
export { checkGrad, type CheckGradOptions } from './checkGrad.js';
export { allclose, toBeAllclose, fluxionMatchers, type AllcloseOptions } from './allclose.js';
