/**
 * The optimizers, with Chainer's formulations and defaults (Chainer 7.8.1, `chainer/optimizers`):
 * sgd, momentum (MomentumSGD), nesterov (NesterovAG), adam (with `amsgrad`), adamw (Adam with
 * decoupled `weight_decay_rate`), rmsprop, adagrad.
 *
 * Each is a `Transform` whose state is `{ t, <slots> }`: the step count and one tree per Chainer
 * state slot (`m`, `v`, `vhat`, `ms`, `h`), shaped like the params. Per parameter, one fused kernel
 * reads the gradient, the param (when needed) and the slots once and writes the new slots and the
 * update (`update`) or the new param (`step`) into fresh arrays: one pass over the data. The math
 * runs in double and is stored in the param's dtype (float32 params give float32 state and results).
 */
import { ValueError, zerosLike, type Tensor } from '@fluxion/core';
import {
  alloc,
  checkNonNegative,
  checkRate,
  checkUnitInterval,
  countOf,
  floatLeaf,
  matchingLeaf,
  rateAt,
  slotOf,
  wrap,
  type FloatArray,
  type ReadArray,
} from './internal.js';
import type {
  AdagradFamily,
  AdamFamily,
  CountFamily,
  MomentumFamily,
  RmspropFamily,
  ScalarOrSchedule,
  StateFamily,
  Transform,
} from './types.js';
import type { AnyTransform } from './base.js';
import { build, flattenTogether } from './walk.js';

// ----------------------------------------------------------------------------------------------
// The engine shared by every optimizer

/**
 * One optimizer: its slots and its per-parameter kernel. `prepare` turns the hyperparameters into
 * the scalars of step `t + 1` (schedules are read at `t`, the number of updates done before).
 */
interface Rule<H> {
  readonly name: string;
  readonly slots: readonly string[];
  /** Whether `update` (not only `step`) reads the params: weight decay does. */
  readonly updateNeedsParams: boolean;
  prepare(t: number): H;
  /**
   * Reads `g`, `p` (null when `update` does not need it) and the slots `s`; writes the new slots
   * `so` and `out`: the new param when `apply`, else the update. All arrays have one length.
   */
  kernel(h: H, p: ReadArray | null, g: ReadArray, s: readonly ReadArray[], so: readonly FloatArray[], out: FloatArray, apply: boolean): void;
}

function initState(rule: Rule<unknown>, params: unknown): Record<string, unknown> {
  const { leaves, skeleton } = flattenTogether(rule.name, ['params'], [params]);
  const pl = leaves[0]!;
  const state: Record<string, unknown> = { t: 0 };
  for (const slot of rule.slots) {
    const zs = new Array<Tensor>(pl.length);
    for (let i = 0; i < pl.length; i++) zs[i] = zerosLike(floatLeaf(rule.name, 'params', params, pl[i], i));
    state[slot] = build(skeleton, zs);
  }
  return state;
}

function run(
  rule: Rule<unknown>,
  grads: unknown,
  state: unknown,
  params: unknown,
  apply: boolean,
): readonly [unknown, Record<string, unknown>] {
  const op = rule.name;
  const t = countOf(op, state);
  const slots = rule.slots;
  const ns = slots.length;
  const slotTrees = slots.map((k) => slotOf(op, state, k, `: was it made by this optimizer's init?`));
  const hasParams = params !== undefined;
  if (!hasParams && (apply || rule.updateNeedsParams)) {
    throw new ValueError(op, 'needs the params (weight decay reads them): call update(grads, state, params)');
  }
  // grads first: the reference every other tree is checked against.
  const names = ['grads', ...slots.map((k) => `state.${k}`)];
  const trees = [grads, ...slotTrees];
  if (hasParams) {
    names.splice(1, 0, 'params');
    trees.splice(1, 0, params);
  }
  const { leaves, skeleton } = flattenTogether(op, names, trees);
  const gl = leaves[0]!;
  const pl = hasParams ? leaves[1]! : null;
  const sl = leaves.slice(hasParams ? 2 : 1);
  const readP = apply || rule.updateNeedsParams;
  const h = rule.prepare(t);

  const n = gl.length;
  // Check every leaf first and lay the new values out: one array per dtype for the new params
  // and one per slot, each leaf a view of its part, so a step makes a few allocations, not a few
  // per leaf (PERFORMANCE.md, section 7: no speed change measured in isolation).
  const refs = new Array<Tensor>(n);
  const ps = new Array<Tensor | null>(n);
  const offsets = new Array<number>(n);
  let n32 = 0;
  let n64 = 0;
  for (let i = 0; i < n; i++) {
    let ref: Tensor;
    let p: Tensor | null = null;
    if (pl !== null) {
      p = floatLeaf(op, 'params', params, pl[i], i);
      matchingLeaf(op, 'grads', grads, gl[i], i, 'params', p);
      ref = p;
    } else {
      ref = floatLeaf(op, 'grads', grads, gl[i], i);
    }
    refs[i] = ref;
    ps[i] = p;
    if (ref.dtype === 'float64') {
      offsets[i] = n64;
      n64 += ref.size;
    } else {
      offsets[i] = n32;
      n32 += ref.size;
    }
  }
  // Block 0 holds the new params (or updates), block k + 1 slot k.
  const blocks32 = Array.from({ length: ns + 1 }, () => (n32 > 0 ? alloc('float32', n32) : null));
  const blocks64 = Array.from({ length: ns + 1 }, () => (n64 > 0 ? alloc('float64', n64) : null));
  // A view made with the constructor: subarray() goes through the species protocol and costs
  // several times as much.
  const part = (block: number, i: number): FloatArray => {
    const ref = refs[i]!;
    return ref.dtype === 'float64'
      ? new Float64Array(blocks64[block]!.buffer, offsets[i]! * 8, ref.size)
      : new Float32Array(blocks32[block]!.buffer, offsets[i]! * 4, ref.size);
  };

  const out = new Array<Tensor>(n);
  const outSlots = slots.map(() => new Array<Tensor>(n));
  const sIn = new Array<ReadArray>(ns);
  const sOut = new Array<FloatArray>(ns);
  for (let i = 0; i < n; i++) {
    const ref = refs[i]!;
    const p = ps[i] ?? null;
    const g = gl[i] as Tensor;
    for (let k = 0; k < ns; k++) {
      sIn[k] = matchingLeaf(op, `state.${slots[k]}`, slotTrees[k], sl[k]![i], i, hasParams ? 'params' : 'grads', ref).data;
      sOut[k] = part(k + 1, i);
    }
    const o = part(0, i);
    rule.kernel(h, readP && p !== null ? p.data : null, g.data, sIn, sOut, o, apply);
    out[i] = wrap(o, ref);
    for (let k = 0; k < ns; k++) outSlots[k]![i] = wrap(sOut[k]!, ref);
  }
  const next: Record<string, unknown> = { t: t + 1 };
  for (let k = 0; k < ns; k++) next[slots[k]!] = build(skeleton, outSlots[k]!);
  return [build(skeleton, out), next];
}

function makeOptimizer<F extends StateFamily, H>(rule: Rule<H>): Transform<F> {
  const r = rule as Rule<unknown>;
  const impl: AnyTransform & { name: string } = {
    name: rule.name,
    init: (params) => initState(r, params),
    update: (grads, state, params) => run(r, grads, state, params, false),
    step: (params, grads, state) => run(r, grads, state, params, true),
  };
  return Object.freeze(impl) as unknown as Transform<F>;
}

// ----------------------------------------------------------------------------------------------
// SGD

/** Options of `sgd`. */
export interface SgdOptions {
  /** Learning rate (default 0.01, as Chainer's SGD), or a schedule of the step count. */
  readonly lr?: ScalarOrSchedule;
}

/**
 * Plain gradient descent, as Chainer's `SGD`: `param −= lr·grad`. State: `{ t }`.
 *
 * @example
 * const opt = sgd({ lr: 0.01 });
 * @throws ValueError for a negative or non-finite `lr`.
 */
export function sgd(options: SgdOptions = {}): Transform<CountFamily> {
  const { lr = 0.01 } = options;
  checkRate('sgd', 'lr', lr);
  return makeOptimizer<CountFamily, number>({
    name: 'sgd',
    slots: [],
    updateNeedsParams: false,
    prepare: (t) => rateAt('sgd', 'lr', lr, t),
    kernel(lr, p, g, _s, _so, out, apply) {
      const n = g.length;
      if (apply) {
        const pd = p!;
        for (let i = 0; i < n; i++) out[i] = pd[i]! - lr * g[i]!;
      } else {
        for (let i = 0; i < n; i++) out[i] = -(lr * g[i]!);
      }
    },
  });
}

// ----------------------------------------------------------------------------------------------
// Momentum and Nesterov

/** Options of `momentum` and `nesterov`. */
export interface MomentumOptions {
  /** Learning rate (default 0.01, as Chainer), or a schedule of the step count. */
  readonly lr?: ScalarOrSchedule;
  /** Decay of the velocity, in [0, 1) (default 0.9). */
  readonly momentum?: number;
}

interface MomentumScalars {
  readonly lr: number;
  readonly mu: number;
}

/**
 * Classical momentum, as Chainer's `MomentumSGD`: `v ← μ·v − lr·grad; param += v`.
 * State: `{ t, v }`.
 *
 * @example
 * const opt = momentum({ lr: 0.01, momentum: 0.9 });
 * @throws ValueError for a negative `lr` or a `momentum` outside [0, 1).
 */
export function momentum(options: MomentumOptions = {}): Transform<MomentumFamily> {
  const { lr = 0.01, momentum: mu = 0.9 } = options;
  checkRate('momentum', 'lr', lr);
  checkUnitInterval('momentum', 'momentum', mu);
  return makeOptimizer<MomentumFamily, MomentumScalars>({
    name: 'momentum',
    slots: ['v'],
    updateNeedsParams: false,
    prepare: (t) => ({ lr: rateAt('momentum', 'lr', lr, t), mu }),
    kernel(h, p, g, s, so, out, apply) {
      const { lr, mu } = h;
      const v = s[0]!;
      const vo = so[0]!;
      const n = g.length;
      if (apply) {
        const pd = p!;
        for (let i = 0; i < n; i++) {
          const vi = mu * v[i]! - lr * g[i]!;
          vo[i] = vi;
          out[i] = pd[i]! + vi;
        }
      } else {
        for (let i = 0; i < n; i++) {
          const vi = mu * v[i]! - lr * g[i]!;
          vo[i] = vi;
          out[i] = vi;
        }
      }
    },
  });
}

/**
 * Nesterov's accelerated gradient, as Chainer's `NesterovAG`:
 * `v ← μ·v − lr·grad; param += μ²·v − (1 + μ)·lr·grad`. State: `{ t, v }`.
 *
 * @example
 * const opt = nesterov({ lr: 0.01, momentum: 0.9 });
 * @throws ValueError for a negative `lr` or a `momentum` outside [0, 1).
 */
export function nesterov(options: MomentumOptions = {}): Transform<MomentumFamily> {
  const { lr = 0.01, momentum: mu = 0.9 } = options;
  checkRate('nesterov', 'lr', lr);
  checkUnitInterval('nesterov', 'momentum', mu);
  return makeOptimizer<MomentumFamily, MomentumScalars>({
    name: 'nesterov',
    slots: ['v'],
    updateNeedsParams: false,
    prepare: (t) => ({ lr: rateAt('nesterov', 'lr', lr, t), mu }),
    kernel(h, p, g, s, so, out, apply) {
      const { lr, mu } = h;
      const mu2 = mu * mu;
      const c = (1 + mu) * lr;
      const v = s[0]!;
      const vo = so[0]!;
      const n = g.length;
      if (apply) {
        const pd = p!;
        for (let i = 0; i < n; i++) {
          const gi = g[i]!;
          const vi = mu * v[i]! - lr * gi;
          vo[i] = vi;
          out[i] = pd[i]! + mu2 * vi - c * gi;
        }
      } else {
        for (let i = 0; i < n; i++) {
          const gi = g[i]!;
          const vi = mu * v[i]! - lr * gi;
          vo[i] = vi;
          out[i] = mu2 * vi - c * gi;
        }
      }
    },
  });
}

// ----------------------------------------------------------------------------------------------
// Adam, AMSGrad, AdamW

/** Options of `adam`. */
export interface AdamOptions {
  /** Step size (default 0.001), or a schedule of the step count. */
  readonly alpha?: ScalarOrSchedule;
  /** Decay of the first moment, in [0, 1) (default 0.9). */
  readonly beta1?: number;
  /** Decay of the second moment, in [0, 1) (default 0.999). */
  readonly beta2?: number;
  /** Added to √v before dividing (default 1e-8). */
  readonly eps?: number;
  /** Chainer's schedule multiplier of the whole step, weight decay included (default 1). */
  readonly eta?: number;
  /** Decoupled weight decay (AdamW), applied as `param −= eta·rate·param` (default 0). */
  readonly weightDecayRate?: number;
  /** Use the running maximum `vhat` of `v` (AMSGrad); adds the `vhat` slot (default false). */
  readonly amsgrad?: boolean;
}

interface AdamScalars {
  /** alpha·√(1 − β2ᵗ)/(1 − β1ᵗ) */
  readonly alphaT: number;
  readonly b1c: number;
  readonly b2c: number;
  readonly eps: number;
  /** −eta */
  readonly negEta: number;
  /** eta·weightDecayRate */
  readonly decay: number;
  readonly amsgrad: boolean;
}

/**
 * Adam as Chainer writes it (eps added to √v before the bias correction, which is folded into the
 * step size):
 *
 *     m ← m + (1 − β1)(g − m);  v ← v + (1 − β2)(g² − v);  [vhat ← max(vhat, v)]
 *     alpha_t = alpha·√(1 − β2ᵗ)/(1 − β1ᵗ)
 *     param ← param − eta·(alpha_t·m/(√v + eps) + weightDecayRate·param)
 *
 * State: `{ t, m, v }`, plus `vhat` with `amsgrad`. Defaults are Chainer's: alpha 0.001, beta1 0.9,
 * beta2 0.999, eps 1e-8. The whole update of one parameter is one pass over its data.
 *
 * @example
 * const opt = adam();
 * let state = opt.init(params);
 * const [updates, s] = opt.update(grads, state, params);
 * @throws ValueError for a negative alpha, eps, eta or weight decay, or a beta outside [0, 1).
 */
export function adam(options: AdamOptions = {}): Transform<AdamFamily> {
  return makeAdam('adam', options);
}

/** Options of `adamw`: Adam's, with the decay rate required. */
export interface AdamWOptions extends Omit<AdamOptions, 'weightDecayRate'> {
  /** Decoupled weight decay rate, as Chainer's `Adam(weight_decay_rate=...)`: `param −= eta·rate·param`. */
  readonly weightDecayRate: number;
}

/**
 * Adam with decoupled weight decay (AdamW), exactly Chainer's `Adam(weight_decay_rate=rate)`: the
 * decay `eta·rate·param` is subtracted from the param, not added to the gradient, so the moments
 * never see it. `update` needs the params. The rate is required (Chainer's AdamW default of 0 is
 * plain Adam).
 *
 * @example
 * const opt = adamw({ alpha: 0.01, weightDecayRate: 0.1 });
 * @throws ValueError as `adam` does.
 */
export function adamw(options: AdamWOptions): Transform<AdamFamily> {
  if (typeof options !== 'object' || options === null) {
    throw new ValueError('adamw', 'needs options with a weightDecayRate, e.g. adamw({ weightDecayRate: 0.01 })');
  }
  return makeAdam('adamw', options);
}

function makeAdam(name: string, options: AdamOptions): Transform<AdamFamily> {
  const { alpha = 0.001, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, eta = 1, weightDecayRate = 0, amsgrad = false } = options;
  checkRate(name, 'alpha', alpha);
  checkUnitInterval(name, 'beta1', beta1);
  checkUnitInterval(name, 'beta2', beta2);
  checkNonNegative(name, 'eps', eps);
  checkNonNegative(name, 'eta', eta);
  checkNonNegative(name, 'weightDecayRate', weightDecayRate);
  if (typeof amsgrad !== 'boolean') throw new ValueError(name, `amsgrad must be a boolean, got ${typeof amsgrad}`);
  const decay = eta * weightDecayRate;
  return makeOptimizer<AdamFamily, AdamScalars>({
    name,
    slots: amsgrad ? ['m', 'v', 'vhat'] : ['m', 'v'],
    updateNeedsParams: decay !== 0,
    prepare(t) {
      const a = rateAt(name, 'alpha', alpha, t);
      const tt = t + 1;
      const fix1 = 1 - Math.pow(beta1, tt);
      const fix2 = 1 - Math.pow(beta2, tt);
      return { alphaT: (a * Math.sqrt(fix2)) / fix1, b1c: 1 - beta1, b2c: 1 - beta2, eps, negEta: -eta, decay, amsgrad };
    },
    kernel: adamKernel,
  });
}

/** One pass: new m, v (and vhat) and the update or the new param. */
function adamKernel(
  h: AdamScalars,
  p: ReadArray | null,
  g: ReadArray,
  s: readonly ReadArray[],
  so: readonly FloatArray[],
  out: FloatArray,
  apply: boolean,
): void {
  const { alphaT, b1c, b2c, eps, negEta, decay, amsgrad } = h;
  const m = s[0]!;
  const v = s[1]!;
  const mo = so[0]!;
  const vo = so[1]!;
  // Without amsgrad there is no vhat slot (these are then never read or written).
  const vh = amsgrad ? s[2]! : v;
  const vho = amsgrad ? so[2]! : vo;
  const n = g.length;
  if (apply) {
    const pd = p!;
    const keep = 1 - decay;
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      const mi = m[i]! + b1c * (gi - m[i]!);
      const vi = v[i]! + b2c * (gi * gi - v[i]!);
      mo[i] = mi;
      vo[i] = vi;
      let vhi = vi;
      if (amsgrad) {
        vhi = Math.max(vh[i]!, vi);
        vho[i] = vhi;
      }
      out[i] = keep * pd[i]! + negEta * ((alphaT / (Math.sqrt(vhi) + eps)) * mi);
    }
  } else if (decay !== 0) {
    const pd = p!;
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      const mi = m[i]! + b1c * (gi - m[i]!);
      const vi = v[i]! + b2c * (gi * gi - v[i]!);
      mo[i] = mi;
      vo[i] = vi;
      let vhi = vi;
      if (amsgrad) {
        vhi = Math.max(vh[i]!, vi);
        vho[i] = vhi;
      }
      out[i] = negEta * ((alphaT / (Math.sqrt(vhi) + eps)) * mi) - decay * pd[i]!;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      const mi = m[i]! + b1c * (gi - m[i]!);
      const vi = v[i]! + b2c * (gi * gi - v[i]!);
      mo[i] = mi;
      vo[i] = vi;
      let vhi = vi;
      if (amsgrad) {
        vhi = Math.max(vh[i]!, vi);
        vho[i] = vhi;
      }
      out[i] = negEta * ((alphaT / (Math.sqrt(vhi) + eps)) * mi);
    }
  }
}

// ----------------------------------------------------------------------------------------------
// RMSprop and AdaGrad

/** Options of `rmsprop`. */
export interface RmspropOptions {
  /** Learning rate (default 0.01, as Chainer), or a schedule of the step count. */
  readonly lr?: ScalarOrSchedule;
  /** Decay of the mean square, in [0, 1) (default 0.99). */
  readonly alpha?: number;
  /** Added to the root mean square (default 1e-8). */
  readonly eps?: number;
  /** Add eps inside the square root, `√(ms + eps)`, as Chainer's option (default false). */
  readonly epsInsideSqrt?: boolean;
}

interface RmspropScalars {
  readonly lr: number;
  readonly alpha: number;
  readonly eps: number;
  readonly inside: boolean;
}

/**
 * RMSprop, as Chainer's: `ms ← α·ms + (1 − α)·g²; param −= lr·g/(√ms + eps)`. State: `{ t, ms }`.
 *
 * @example
 * const opt = rmsprop({ lr: 0.01 });
 * @throws ValueError for a negative `lr` or `eps`, or an `alpha` outside [0, 1).
 */
export function rmsprop(options: RmspropOptions = {}): Transform<RmspropFamily> {
  const { lr = 0.01, alpha = 0.99, eps = 1e-8, epsInsideSqrt = false } = options;
  checkRate('rmsprop', 'lr', lr);
  checkUnitInterval('rmsprop', 'alpha', alpha);
  checkNonNegative('rmsprop', 'eps', eps);
  return makeOptimizer<RmspropFamily, RmspropScalars>({
    name: 'rmsprop',
    slots: ['ms'],
    updateNeedsParams: false,
    prepare: (t) => ({ lr: rateAt('rmsprop', 'lr', lr, t), alpha, eps, inside: epsInsideSqrt }),
    kernel(h, p, g, s, so, out, apply) {
      const { lr, alpha, eps, inside } = h;
      const oma = 1 - alpha;
      const ms = s[0]!;
      const mso = so[0]!;
      const n = g.length;
      for (let i = 0; i < n; i++) {
        const gi = g[i]!;
        const msi = alpha * ms[i]! + oma * gi * gi;
        mso[i] = msi;
        const step = (lr * gi) / (inside ? Math.sqrt(msi + eps) : Math.sqrt(msi) + eps);
        out[i] = apply ? p![i]! - step : -step;
      }
    },
  });
}

/** Options of `adagrad`. */
export interface AdagradOptions {
  /** Learning rate (default 0.001, as Chainer), or a schedule of the step count. */
  readonly lr?: ScalarOrSchedule;
  /** Added to the root of the sum of squares (default 1e-8). */
  readonly eps?: number;
}

interface AdagradScalars {
  readonly lr: number;
  readonly eps: number;
}

/**
 * AdaGrad, as Chainer's: `h ← h + g²; param −= lr·g/(√h + eps)`. State: `{ t, h }`.
 *
 * @example
 * const opt = adagrad({ lr: 0.1 });
 * @throws ValueError for a negative `lr` or `eps`.
 */
export function adagrad(options: AdagradOptions = {}): Transform<AdagradFamily> {
  const { lr = 0.001, eps = 1e-8 } = options;
  checkRate('adagrad', 'lr', lr);
  checkNonNegative('adagrad', 'eps', eps);
  return makeOptimizer<AdagradFamily, AdagradScalars>({
    name: 'adagrad',
    slots: ['h'],
    updateNeedsParams: false,
    prepare: (t) => ({ lr: rateAt('adagrad', 'lr', lr, t), eps }),
    kernel(hp, p, g, s, so, out, apply) {
      const { lr, eps } = hp;
      const h = s[0]!;
      const ho = so[0]!;
      const n = g.length;
      for (let i = 0; i < n; i++) {
        const gi = g[i]!;
        const hi = h[i]! + gi * gi;
        ho[i] = hi;
        const step = (lr * gi) / (Math.sqrt(hi) + eps);
        out[i] = apply ? p![i]! - step : -step;
      }
    },
  });
}
