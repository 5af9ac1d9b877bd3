import { FluxionError } from '../errors.js';
import { vjp } from '../autodiff.js';
import { Tensor } from '../tensor.js';
import { allocate } from '../dtype.js';
import { add, mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';

/** Options of `checkGrad`. */
export interface CheckGradOptions {
  /** Finite-difference step (default 1e-3, with a fourth-order stencil). */
  readonly eps?: number;
  /** Relative tolerance of the directional derivatives (default 1e-6). */
  readonly rtol?: number;
  /** Absolute tolerance (default 1e-9). */
  readonly atol?: number;
  /** 1 checks gradients; 2 also checks the gradient of the gradient (default 1). */
  readonly order?: 1 | 2;
  /** Random directions per input (default 2). */
  readonly directions?: number;
  /** Seed of the random directions and cotangent, for reproducible failures (default 0). */
  readonly seed?: number;
}

/** A small deterministic generator for probe vectors: test noise, not user-facing randomness. */
function probe(seed: number): () => number {
  let s = (seed ^ 0x9e3779b9) >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296 - 0.5;
  };
}

function randomLike(t: Tensor, next: () => number): Tensor {
  const d = allocate(t.dtype, t.size);
  for (let i = 0; i < d.length; i++) d[i] = next();
  return new Tensor(t.shape, t.dtype, d);
}

function axpy(x: Tensor, v: Tensor, t: number): Tensor {
  const xd = x.data;
  const vd = v.data;
  const d = allocate(x.dtype, x.size);
  for (let i = 0; i < d.length; i++) d[i] = xd[i]! + t * vd[i]!;
  return new Tensor(x.shape, x.dtype, d);
}

function vdot(a: Tensor, b: Tensor): number {
  const ad = a.data;
  const bd = b.data;
  let s = 0;
  for (let i = 0; i < ad.length; i++) s += ad[i]! * bd[i]!;
  return s;
}

/**
 * Checks reverse-mode gradients of `f` at `inputs` against finite differences, in float64.
 * For a random output cotangent u and, per input, random directions v, it compares the
 * autodiff value ⟨pullback(u)ᵢ, v⟩ with the numeric derivative of t ↦ ⟨u, f(…, xᵢ + t·v, …)⟩
 * (a fourth-order central stencil): the VJP dot-product test. `order: 2` repeats the check on
 * x ↦ ⟨pullback_x(u), w⟩, which differentiates the backward rules themselves.
 *
 * Avoid kinks (abs at 0, relu at 0, max ties) in the inputs: finite differences disagree there.
 * @throws FluxionError naming the input, the two values and the tolerance when they disagree,
 *   or when an input is not float64.
 */
export function checkGrad(f: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], opts: CheckGradOptions = {}): void {
  const { eps = 1e-3, rtol = 1e-6, atol = 1e-9, order = 1, directions = 2, seed = 0 } = opts;
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor) || x.dtype !== 'float64') {
      throw new FluxionError('checkGrad', `input ${i} must be a float64 tensor (use astype(x, 'float64'))`);
    }
  });
  const next = probe(seed);
  const [y, pb] = vjp((...xs: Tensor[]) => f(...xs), ...inputs);
  if (!(y instanceof Tensor) || y.dtype !== 'float64') {
    throw new FluxionError('checkGrad', 'f must return a float64 tensor');
  }
  const u = randomLike(y, next);
  const grads = pb(u) as Tensor[];
  const phi = (i: number, v: Tensor, t: number): number => {
    const xs = inputs.map((x, j) => (j === i ? axpy(x, v, t) : x));
    return vdot(u, f(...xs));
  };
  for (let i = 0; i < inputs.length; i++) {
    for (let k = 0; k < directions; k++) {
      const v = randomLike(inputs[i]!, next);
      const numeric =
        (8 * (phi(i, v, eps) - phi(i, v, -eps)) - (phi(i, v, 2 * eps) - phi(i, v, -2 * eps))) / (12 * eps);
      const auto = vdot(grads[i]!, v);
      const scale = Math.max(Math.abs(numeric), Math.abs(auto));
      if (!(Math.abs(numeric - auto) <= atol + rtol * scale)) {
        throw new FluxionError(
          'checkGrad',
          `${order === 2 ? 'second-order ' : ''}gradient of input ${i} (shape [${inputs[i]!.shape.join(', ')}]) disagrees ` +
            `along a random direction: autodiff ${auto}, finite differences ${numeric} ` +
            `(|diff| ${Math.abs(numeric - auto)} > ${atol} + ${rtol}·${scale})`,
        );
      }
    }
  }
  if (order === 2) {
    const ws = inputs.map((x) => randomLike(x, next));
    const h = (...xs: Tensor[]): Tensor => {
      const [, pbx] = vjp((...zs: Tensor[]) => f(...zs), ...xs);
      const gs = pbx(u) as Tensor[];
      return gs.reduce<Tensor>((acc, g, j) => add(acc, sum(mul(g, ws[j]!))), new Tensor([], 'float64', new Float64Array(1)));
    };
    checkGrad(h, inputs, { ...opts, order: 1, seed: seed + 1 });
  }
}
