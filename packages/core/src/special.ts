/**
 * Special functions in float64: erf, erfc and erfinv, behind the `erf`/`erfc` ops and the normal
 * samplers. Pure scalar functions; no tensors.
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126; // 2 / sqrt(pi)


/**
 * Where erf and erfc switch from the series to the continued fraction. Below it, 1 - erf(x)
 * loses at most ~1.5 digits, but erfinv divides that absolute error by erf's slope, which is
 * still large there, so erfinv stays within ~1e-15 relative; above it the fraction needs at
 * most ~45 terms (it needs ~100 at x = 1, which would make normal() twice as slow).
 */
const ERFC_SWITCH = 1.5;

/** erf(x) for |x| < 1.5 by the series 2x/sqrt(pi) e^{-x^2} sum (2x^2)^n / (2n+1)!!: all terms positive. */
function erfSeries(x: number): number {
  const z = 2 * x * x;
  let term = 1;
  let sum = 1;
  for (let n = 1; n < 200; n++) {
    term *= z / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return TWO_OVER_SQRT_PI * x * Math.exp(-x * x) * sum;
}

/**
 * erfc(x) for x >= 1.5 by the even contraction of Laplace's continued fraction,
 * erfc(x) = 2x e^{-x^2}/sqrt(pi) / (2x^2+1 - 1*2/(2x^2+5 - 3*4/(2x^2+9 - ...))), evaluated with
 * the modified Lentz method. Accurate to a few ulp relative, even deep in the tail.
 */
function erfcFraction(x: number): number {
  if (x === Infinity) return 0;
  const tiny = 1e-300;
  const z = 2 * x * x;
  let f = z + 1;
  let c = f;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = -(2 * n - 1) * (2 * n);
    const b = z + 1 + 4 * n;
    d = b + a * d;
    if (d === 0) d = tiny;
    c = b + a / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (TWO_OVER_SQRT_PI * x * Math.exp(-x * x)) / f;
}

/** The error function in float64 (relative error of a few ulp). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < ERFC_SWITCH) return erfSeries(x);
  const r = 1 - erfcFraction(a);
  return x < 0 ? -r : r;
}

/** The complementary error function 1 - erf(x) in float64, accurate relative to its own size for x >= 0. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= ERFC_SWITCH) return erfcFraction(x);
  if (x > -ERFC_SWITCH) return 1 - erfSeries(x);
  return 2 - erfcFraction(-x);
}

/**
 * The y >= 0 with erf(y) = a, given a in [0, 1) and c = 1 - a (passed separately so that callers
 * in the upper tail can supply c to full relative precision). Starts from Giles' single-precision
 * approximation ("Approximating the erfinv function", GPU Computing Gems, 2011; the same
 * polynomials XLA uses for float32) and polishes it with Halley steps on erf (a <= 1/2) or on
 * erfc (a > 1/2, where erfc keeps the relative precision that 1 - erf would lose).
 */
export function erfinvParts(a: number, c: number): number {
  if (a === 0) return 0;
  if (c <= 0) return Infinity;
  let w = -Math.log(c * (1 + a));
  let p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    p = 3.43273939e-7 + p * w;
    p = -3.5233877e-6 + p * w;
    p = -4.39150654e-6 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  let y = p * a;
  // Halley on g(y) = erf(y) - a: g' = 2/sqrt(pi) e^{-y^2}, g'' = -2y g', so the step is g / (g' + y g).
  for (let it = 0; it < 8; it++) {
    const g = a <= 0.5 ? erf(y) - a : c - erfc(y);
    const dg = TWO_OVER_SQRT_PI * Math.exp(-y * y);
    if (dg === 0) break; // y beyond ~27: erfc underflows and y cannot be refined.
    const step = g / (dg + y * g);
    y -= step;
    // Halley converges cubically: a step below 1e-6 relative leaves an error near 1e-18.
    if (Math.abs(step) <= 1e-6 * Math.abs(y)) break;
  }
  return y;
}

/** erfinv(x) in float64 (relative error about 1e-15): ±Infinity at ±1, NaN outside [-1, 1]. */
export function erfinv(x: number): number {
  if (Number.isNaN(x) || x < -1 || x > 1) return NaN;
  const a = Math.abs(x);
  const y = erfinvParts(a, 1 - a);
  return x < 0 ? -y : y;
}

