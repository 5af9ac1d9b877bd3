/**
 * Reference values from PyTorch 1.13 in float64 (fixtures/ops-torch.json): every op case checks
 * the forward output and the pullback of the recorded cotangent; every `hvps` entry checks the
 * value, the gradient and the Hessian-vector product of a scalar function.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Tensor,
  abs,
  add,
  broadcastTo,
  concat,
  cos,
  div,
  exp,
  grad,
  hvp,
  leakyRelu,
  log,
  logSoftmax,
  logsumexp,
  matmul,
  max,
  maximum,
  mean,
  minimum,
  mul,
  neg,
  oneHot,
  pow,
  relu,
  reshape,
  sigmoid,
  sin,
  slice,
  softmax,
  softplus,
  sqrt,
  square,
  stack,
  sub,
  sum,
  take,
  tanh,
  tensor,
  transpose,
  vjp,
  where,
} from '@fluxion/core';

// ---------------------------------------------------------------------------------------------
// The fixture

interface Arr {
  readonly shape: number[];
  readonly data: number[];
  readonly dtype?: string;
}

interface OpCase {
  readonly op: string;
  readonly kwargs: Record<string, unknown>;
  readonly note: string;
  readonly inputs: Arr[];
  readonly output: Arr;
  readonly cotangent: Arr;
  readonly input_grads: (Arr | null)[];
}

interface HvpCase {
  readonly f: string;
  readonly x: Arr;
  readonly v: Arr;
  readonly W?: Arr;
  readonly value: number;
  readonly grad: Arr;
  readonly hvp: Arr;
}

interface Fixture {
  readonly about: string;
  readonly cases: OpCase[];
  readonly hvps: HvpCase[];
}

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/ops-torch.json', import.meta.url), 'utf8'),
) as Fixture;

/** Float64 tensor from a fixture array (the fixture is all float64). */
function f64(a: Arr): Tensor {
  if (a.dtype !== undefined && a.dtype !== 'float64') throw new Error(`unexpected fixture dtype ${a.dtype}`);
  return tensor(new Float64Array(a.data), { dtype: 'float64', shape: a.shape });
}

const TOL = { rtol: 1e-10, atol: 1e-12 };

// ---------------------------------------------------------------------------------------------
// kwargs readers: a malformed kwarg fails loudly instead of silently falling back to a default.

type Kw = Record<string, unknown>;

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function intArg(kw: Kw, key: string): number {
  const v = kw[key];
  if (!isInt(v)) throw new Error(`kwarg '${key}' must be an integer, got ${JSON.stringify(v)}`);
  return v;
}

function optIntArg(kw: Kw, key: string): number | undefined {
  return kw[key] === undefined ? undefined : intArg(kw, key);
}

function intsArg(kw: Kw, key: string): number[] {
  const v = kw[key];
  if (!Array.isArray(v) || !v.every(isInt)) throw new Error(`kwarg '${key}' must be a list of integers, got ${JSON.stringify(v)}`);
  return v;
}

function numArg(kw: Kw, key: string): number {
  const v = kw[key];
  if (typeof v !== 'number') throw new Error(`kwarg '${key}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function optBoolArg(kw: Kw, key: string): boolean | undefined {
  const v = kw[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new Error(`kwarg '${key}' must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/** A nested list of 0/1 (or booleans) as a bool tensor. */
function boolArg(kw: Kw, key: string): Tensor {
  const v = kw[key];
  if (!Array.isArray(v)) throw new Error(`kwarg '${key}' must be a nested list, got ${JSON.stringify(v)}`);
  const toBool = (x: unknown): unknown => (Array.isArray(x) ? x.map(toBool) : Boolean(x));
  return tensor(toBool(v) as boolean[][], { dtype: 'bool' });
}

function arity<const N extends number>(xs: readonly Tensor[], n: N): Tensor[] {
  if (xs.length !== n) throw new Error(`expected ${n} inputs, got ${xs.length}`);
  return [...xs];
}

function one(xs: readonly Tensor[]): Tensor {
  return arity(xs, 1)[0]!;
}

function two(xs: readonly Tensor[]): [Tensor, Tensor] {
  const [a, b] = arity(xs, 2);
  return [a!, b!];
}

// ---------------------------------------------------------------------------------------------
// Losses. These belong to @fluxion/nn, which does not exist yet; until it does they are written
// here from core ops exactly as Chainer defines them. When nn lands, import them from there.

/** Chainer F.mean_squared_error: mean of (a − b)² over all elements. */
function meanSquaredError(a: Tensor, b: Tensor): Tensor {
  return mean(square(sub(a, b)));
}

/**
 * Chainer F.softmax_cross_entropy (normalize=True, no ignore_label hits): −mean over the batch of
 * logSoftmax(x) picked at each row's int label.
 */
function softmaxCrossEntropy(x: Tensor, labels: readonly number[]): Tensor {
  const depth = x.shape[x.ndim - 1]!;
  const t = oneHot(tensor(labels as number[], { dtype: 'int32' }), depth, x.dtype);
  return neg(mean(sum(mul(logSoftmax(x, -1), t), -1)));
}

// ---------------------------------------------------------------------------------------------
// Op table: fixture op name → the kwargs it understands and the Fluxion call.

interface OpEntry {
  readonly kwargs: readonly string[];
  readonly run: (xs: readonly Tensor[], kw: Kw) => Tensor;
}

const unary = (f: (x: Tensor) => Tensor): OpEntry => ({ kwargs: [], run: (xs) => f(one(xs)) });
const binary = (f: (a: Tensor, b: Tensor) => Tensor): OpEntry => ({ kwargs: [], run: (xs) => f(...two(xs)) });

const OPS: Readonly<Record<string, OpEntry>> = {
  add: binary(add),
  sub: binary(sub),
  mul: binary(mul),
  div: binary(div),
  pow: binary(pow),
  maximum: binary(maximum),
  minimum: binary(minimum),
  neg: unary(neg),
  exp: unary(exp),
  log: unary(log),
  sqrt: unary(sqrt),
  sin: unary(sin),
  cos: unary(cos),
  tanh: unary(tanh),
  sigmoid: unary(sigmoid),
  relu: unary(relu),
  abs: unary(abs),
  square: unary(square),
  softplus: unary(softplus),
  leakyRelu: { kwargs: ['slope'], run: (xs, kw) => leakyRelu(one(xs), numArg(kw, 'slope')) },
  sum: { kwargs: ['axis', 'keepdims'], run: (xs, kw) => sum(one(xs), optIntArg(kw, 'axis'), optBoolArg(kw, 'keepdims')) },
  mean: { kwargs: ['axis', 'keepdims'], run: (xs, kw) => mean(one(xs), optIntArg(kw, 'axis'), optBoolArg(kw, 'keepdims')) },
  max: { kwargs: ['axis', 'keepdims'], run: (xs, kw) => max(one(xs), optIntArg(kw, 'axis'), optBoolArg(kw, 'keepdims')) },
  logsumexp: {
    kwargs: ['axis', 'keepdims'],
    run: (xs, kw) => logsumexp(one(xs), optIntArg(kw, 'axis'), optBoolArg(kw, 'keepdims')),
  },
  matmul: binary(matmul),
  transpose: { kwargs: ['perm'], run: (xs, kw) => transpose(one(xs), intsArg(kw, 'perm')) },
  reshape: { kwargs: ['shape'], run: (xs, kw) => reshape(one(xs), intsArg(kw, 'shape')) },
  broadcastTo: { kwargs: ['shape'], run: (xs, kw) => broadcastTo(one(xs), intsArg(kw, 'shape')) },
  concat: { kwargs: ['axis'], run: (xs, kw) => concat(xs, intArg(kw, 'axis')) },
  stack: { kwargs: ['axis'], run: (xs, kw) => stack(xs, intArg(kw, 'axis')) },
  slice: {
    kwargs: ['starts', 'stops', 'steps'],
    run: (xs, kw) => slice(one(xs), intsArg(kw, 'starts'), intsArg(kw, 'stops'), intsArg(kw, 'steps')),
  },
  take: { kwargs: ['indices', 'axis'], run: (xs, kw) => take(one(xs), intsArg(kw, 'indices'), intArg(kw, 'axis')) },
  softmax: { kwargs: ['axis'], run: (xs, kw) => softmax(one(xs), intArg(kw, 'axis')) },
  logSoftmax: { kwargs: ['axis'], run: (xs, kw) => logSoftmax(one(xs), intArg(kw, 'axis')) },
  where: { kwargs: ['cond'], run: (xs, kw) => where(boolArg(kw, 'cond'), ...two(xs)) },
  meanSquaredError: binary(meanSquaredError),
  softmaxCrossEntropy: { kwargs: ['labels'], run: (xs, kw) => softmaxCrossEntropy(one(xs), intsArg(kw, 'labels')) },
};

/** The table entry for a case; throws (fails the test) for an unmapped op or an unknown kwarg. */
function entryFor(c: OpCase): OpEntry {
  const entry = Object.hasOwn(OPS, c.op) ? OPS[c.op] : undefined;
  if (entry === undefined) throw new Error(`no Fluxion mapping for fixture op '${c.op}'`);
  const unknown = Object.keys(c.kwargs).filter((k) => !entry.kwargs.includes(k));
  if (unknown.length > 0) throw new Error(`op '${c.op}': the table does not understand kwargs ${unknown.join(', ')}`);
  return entry;
}

// ---------------------------------------------------------------------------------------------
// Op cases

const named = fixture.cases.map((c, i) => ({
  ...c,
  name: `#${String(i).padStart(2, '0')} ${c.op}${c.note ? ` — ${c.note}` : ''}${
    Object.keys(c.kwargs).length ? ` ${JSON.stringify(c.kwargs)}` : ''
  }`,
}));

describe('torch reference fixture', () => {
  it('has the expected number of cases', () => {
    expect(fixture.cases).toHaveLength(41);
    expect(fixture.hvps).toHaveLength(3);
  });

  it('the op table covers every case in the fixture', () => {
    const missing = [...new Set(fixture.cases.map((c) => c.op))].filter((op) => !Object.hasOwn(OPS, op));
    expect(missing).toEqual([]);
    for (const c of fixture.cases) expect(() => entryFor(c)).not.toThrow();
  });
});

describe.each(named.map((c) => [c.name, c] as [string, (typeof named)[number]]))('%s', (_name, c) => {
  it('output', () => {
    const entry = entryFor(c);
    const y = entry.run(c.inputs.map(f64), c.kwargs);
    expect(y.dtype).toBe('float64');
    expect(y).toBeAllclose(f64(c.output), TOL);
  });

  it('pullback of the cotangent', () => {
    const entry = entryFor(c);
    expect(c.input_grads).toHaveLength(c.inputs.length);
    const [y, pullback] = vjp((...xs: Tensor[]) => entry.run(xs, c.kwargs), ...c.inputs.map(f64));
    expect(y).toBeAllclose(f64(c.output), TOL);
    const grads = pullback(f64(c.cotangent));
    expect(grads).toHaveLength(c.inputs.length);
    let checked = 0;
    c.input_grads.forEach((g, i) => {
      if (g === null) return; // a non-float input: no gradient to compare
      const gi = grads[i]!;
      expect(gi.dtype, `input ${i} gradient dtype`).toBe('float64');
      expect(gi, `input ${i} gradient`).toBeAllclose(f64(g), TOL);
      checked++;
    });
    expect(checked).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Hessian-vector products

/** The fixture's `f` strings, written with Fluxion ops. */
const HVP_FNS: Readonly<Record<string, (h: HvpCase) => (x: Tensor) => Tensor>> = {
  'sum(tanh(x)^3)': () => (x) => sum(pow(tanh(x), 3)),
  'sum(exp(x)*sin(x))': () => (x) => sum(mul(exp(x), sin(x))),
  'logsumexp(x @ W)': (h) => {
    if (h.W === undefined) throw new Error('logsumexp(x @ W) needs W');
    const W = f64(h.W);
    return (x) => logsumexp(matmul(x, W));
  },
};

function hvpFn(h: HvpCase): (x: Tensor) => Tensor {
  const make = Object.hasOwn(HVP_FNS, h.f) ? HVP_FNS[h.f] : undefined;
  if (make === undefined) throw new Error(`no Fluxion expression for hvp function '${h.f}'`);
  return make(h);
}

describe.each(fixture.hvps.map((h) => [`hvp of ${h.f}`, h] as [string, HvpCase]))('%s', (_name, h) => {
  const x = f64(h.x);

  it('value', () => {
    const y = hvpFn(h)(x);
    expect(y.shape).toEqual([]);
    expect(y).toBeAllclose(tensor(new Float64Array([h.value]), { dtype: 'float64', shape: [] }), TOL);
  });

  it('grad', () => {
    expect(grad(hvpFn(h))(x)).toBeAllclose(f64(h.grad), TOL);
  });

  it('Hessian-vector product', () => {
    expect(hvp(hvpFn(h), x, f64(h.v))).toBeAllclose(f64(h.hvp), TOL);
  });
});

describe('hvp table', () => {
  it('covers every hvp function in the fixture', () => {
    const missing = fixture.hvps.map((h) => h.f).filter((f) => !Object.hasOwn(HVP_FNS, f));
    expect(missing).toEqual([]);
  });
});
