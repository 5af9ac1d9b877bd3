/**
 * The loops of each op, printed for one example in either language. Both print the same
 * arithmetic as Fluxion's kernels: values are read as doubles, each elementwise op is evaluated in
 * double and rounded to float32 when stored (JS: a Float32Array store, which is Math.fround; C: a
 * cast to float), and matmuls and sums accumulate in a double in Fluxion's order before one
 * rounding on store.
 */
import type { CodeDType, Program, Step } from './lower.js';
import { stridesOf } from '@fluxion/core';
import { hexDouble, jsNumber } from './floats.js';

/** What differs between JavaScript and C. */
export interface Dialect {
  readonly lang: 'js' | 'c';
  /** `for` over [0, n). */
  loop(v: string, n: number): string;
  /** A constant double local. */
  local(name: string, expr: string): string;
  /** A mutable double local. */
  variable(name: string, expr: string): string;
  /** A double literal. */
  lit(v: number): string;
  /** A math.h function (exp, log, sqrt, fabs, sin, cos, tanh, log1p, pow). */
  fn(name: string): string;
  /** `==` and `!=` on doubles. */
  readonly eq: string;
  readonly ne: string;
  /** Stores a double into a float32 or bool element, rounding like Fluxion. */
  store(dtype: CodeDType, target: string, expr: string): string;
}

export const JS: Dialect = {
  lang: 'js',
  loop: (v, n) => `for (let ${v} = 0; ${v} < ${n}; ${v}++) {`,
  local: (name, expr) => `const ${name} = ${expr};`,
  variable: (name, expr) => `let ${name} = ${expr};`,
  lit: (v) => (v < 0 || Object.is(v, -0) ? `(${jsNumber(v)})` : jsNumber(v)),
  fn: (name) => `Math.${name === 'fabs' ? 'abs' : name}`,
  eq: '===',
  ne: '!==',
  // Float32Array and Uint8Array stores round (Math.fround) and convert exactly like Fluxion's.
  store: (_dtype, target, expr) => `${target} = ${expr};`,
};

export const C: Dialect = {
  lang: 'c',
  loop: (v, n) => `for (size_t ${v} = 0; ${v} < ${n}; ${v}++) {`,
  local: (name, expr) => `const double ${name} = ${expr};`,
  variable: (name, expr) => `double ${name} = ${expr};`,
  lit: (v) => {
    if (v !== v) return '((double)NAN)';
    if (v === Infinity || v === -Infinity) return v > 0 ? '((double)INFINITY)' : '(-(double)INFINITY)';
    const s = hexDouble(v);
    return s.startsWith('-') ? `(${s})` : s;
  },
  fn: (name) => name,
  eq: '==',
  ne: '!=',
  store: (dtype, target, expr) => `${target} = (${dtype === 'bool' ? 'unsigned char' : 'float'})(${expr});`,
};

/** Where the code finds a value: an array (with an offset expression) or a literal. */
export type Place = { readonly kind: 'array'; readonly base: string; readonly offset: string } | { readonly kind: 'literal'; readonly text: string };

/** Lines with indentation. */
export class Lines {
  readonly lines: string[] = [];
  private depth: number;
  constructor(depth = 0) {
    this.depth = depth;
  }
  line(s: string): void {
    this.lines.push('  '.repeat(this.depth) + s);
  }
  open(s: string): void {
    this.line(s);
    this.depth++;
  }
  close(s = '}'): void {
    this.depth--;
    this.line(s);
  }
}

/** Strides of `shape` read at the indices of `out` (NumPy broadcasting): 0 on broadcast axes. */
const broadcastStrides = (shape: readonly number[], out: readonly number[]): number[] => {
  const own = stridesOf(shape);
  const off = out.length - shape.length;
  return out.map((_, i) => (i < off || shape[i - off] === 1 ? 0 : own[i - off]!));
};

const sizeOf = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Σ var·stride over loop variables (null: a loop of extent 1, index 0). */
function index(vars: readonly (string | null)[], strides: readonly number[], base = ''): string {
  const terms: string[] = [];
  vars.forEach((v, d) => {
    const s = strides[d]!;
    if (v === null || s === 0) return;
    terms.push(s === 1 ? v : `${v} * ${s}`);
  });
  if (base !== '') terms.unshift(base);
  return terms.length === 0 ? '0' : terms.join(' + ');
}

/** Opens one loop per axis of extent > 1; returns the loop variables (null for extent 1). */
function openLoops(w: Lines, d: Dialect, shape: readonly number[], prefix: string): (string | null)[] {
  return shape.map((n, i) => {
    if (n === 1) return null;
    const v = `${prefix}${i}`;
    w.open(d.loop(v, n));
    return v;
  });
}

function closeLoops(w: Lines, vars: readonly (string | null)[]): void {
  for (const v of vars) if (v !== null) w.close();
}

/** What the op printers need from the program being printed. */
export interface Env {
  readonly d: Dialect;
  place(id: number): Place;
  shape(id: number): readonly number[];
}

function element(p: Place & { kind: 'array' }, idx: string): string {
  return `${p.base}[${p.offset === '' ? idx : idx === '0' ? p.offset : `${p.offset} + ${idx}`}]`;
}

/** An operand's element as a double (C: an explicit conversion; JS numbers are doubles). */
function read(env: Env, id: number, idx: string): string {
  const p = env.place(id);
  if (p.kind === 'literal') return p.text;
  return env.d.lang === 'c' ? `(double)${element(p, idx)}` : element(p, idx);
}

function target(env: Env, id: number, idx: string): string {
  const p = env.place(id);
  if (p.kind === 'literal') throw new Error('internal: a literal is not a target');
  return element(p, idx);
}

// -------------------------------------------------------------------------- elementwise formulas

function unary(d: Dialect, prim: string, v: string, attrs: Readonly<Record<string, unknown>> | null): string {
  const f = (name: string, x: string): string => `${d.fn(name)}(${x})`;
  const one = d.lang === 'c' ? '1.0' : '1';
  const zero = d.lang === 'c' ? '0.0' : '0';
  switch (prim) {
    case 'neg':
      return `-${v}`;
    case 'exp':
    case 'log':
    case 'sqrt':
    case 'sin':
    case 'cos':
    case 'tanh':
      return f(prim, v);
    case 'abs':
      return f('fabs', v);
    case 'sign':
      return `(${v} > 0 ? ${one} : ${v} < 0 ? -${one} : ${v})`;
    case 'sigmoid':
      return `(${v} >= 0 ? ${one} / (${one} + ${f('exp', `-${v}`)}) : ${f('exp', v)} / (${one} + ${f('exp', v)}))`;
    case 'softplus':
      // Math.max(v, 0) in Fluxion; the conditional agrees on NaN (the log1p term is NaN too) and on ±0.
      return d.lang === 'js'
        ? `Math.max(${v}, 0) + Math.log1p(Math.exp(-Math.abs(${v})))`
        : `(${v} > 0 ? ${v} : ${zero}) + log1p(exp(-fabs(${v})))`;
    case 'relu':
      return `(${v} > 0 ? ${v} : ${v} ${d.ne} ${v} ? ${v} : ${zero})`;
    case 'square':
      return `${v} * ${v}`;
    case 'leakyRelu':
      return `(${v} >= 0 ? ${v} : ${v} * ${d.lit(attrs!['slope'] as number)})`;
    case 'stopGradient':
      return v;
    case 'astype':
      if (attrs!['dtype'] === 'bool') {
        return d.lang === 'js' ? `(${v} ? 1 : 0)` : `(${v} != 0 && ${v} == ${v} ? 1 : 0)`;
      }
      return v;
    default:
      throw new Error(`internal: no unary formula for ${prim}`);
  }
}

function binary(d: Dialect, prim: string, a: string, b: string): string {
  switch (prim) {
    case 'add':
      return `${a} + ${b}`;
    case 'sub':
      return `${a} - ${b}`;
    case 'mul':
      return `${a} * ${b}`;
    case 'div':
      return `${a} / ${b}`;
    case 'pow':
      // JS's Math.pow gives NaN for (±1)^NaN and (±1)^±Infinity, where C's pow gives 1.
      return d.lang === 'js'
        ? `Math.pow(${a}, ${b})`
        : `((${a} == 1.0 || ${a} == -1.0) && (${b} != ${b} || fabs(${b}) == (double)INFINITY) ? (double)NAN : pow(${a}, ${b}))`;
    case 'maximum':
      return `(${a} > ${b} || ${a} ${d.ne} ${a} ? ${a} : ${b})`;
    case 'minimum':
      return `(${a} < ${b} || ${a} ${d.ne} ${a} ? ${a} : ${b})`;
    case 'greater':
      return `(${a} > ${b} ? 1 : 0)`;
    case 'greaterEqual':
      return `(${a} >= ${b} ? 1 : 0)`;
    case 'less':
      return `(${a} < ${b} ? 1 : 0)`;
    case 'lessEqual':
      return `(${a} <= ${b} ? 1 : 0)`;
    case 'equal':
      return `(${a} ${d.eq} ${b} ? 1 : 0)`;
    case 'notEqual':
      return `(${a} ${d.ne} ${b} ? 1 : 0)`;
    default:
      throw new Error(`internal: no binary formula for ${prim}`);
  }
}

const UNARY = new Set(['neg', 'exp', 'log', 'sqrt', 'sign', 'abs', 'sin', 'cos', 'tanh', 'sigmoid', 'softplus', 'relu', 'square', 'leakyRelu', 'astype']);
const BINARY = new Set(['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'greater', 'greaterEqual', 'less', 'lessEqual', 'equal', 'notEqual']);

/** Ops that only reinterpret their operand: no code, the result is the operand's storage. */
export const ALIASES: ReadonlySet<string> = new Set(['reshape', 'stopGradient']);

// -------------------------------------------------------------------------- op printers

/** out[idx] = formula(operands[idx...]) with broadcasting. */
function elementwise(w: Lines, env: Env, s: Step, formula: (vals: string[]) => string): void {
  const d = env.d;
  const out = s.shape;
  const outStrides = stridesOf(out);
  const flat = s.inputs.every((i) => env.place(i).kind === 'literal' || sameShape(env.shape(i), out));
  if (flat) {
    const n = sizeOf(out);
    const v = n === 1 ? null : 'i';
    if (v !== null) w.open(d.loop(v, n));
    const idx = v ?? '0';
    const vals = s.inputs.map((id, k) => {
      const name = `a${k}`;
      w.line(d.local(name, read(env, id, idx)));
      return name;
    });
    w.line(d.store(s.dtype, target(env, s.id, idx), formula(vals)));
    if (v !== null) w.close();
    return;
  }
  const vars = openLoops(w, d, out, 'i');
  const vals = s.inputs.map((id, k) => {
    const name = `a${k}`;
    w.line(d.local(name, read(env, id, index(vars, broadcastStrides(env.shape(id), out)))));
    return name;
  });
  w.line(d.store(s.dtype, target(env, s.id, index(vars, outStrides)), formula(vals)));
  closeLoops(w, vars);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Fluxion's matmul: per output element a double sum over p = 0..k-1 (plus the bias), rounded once. */
function matmul(w: Lines, env: Env, s: Step): void {
  const d = env.d;
  const [aId, bId] = s.inputs as [number, number];
  const sa = env.shape(aId);
  const sb = env.shape(bId);
  const ta = s.attrs?.['ta'] === true;
  const tb = s.attrs?.['tb'] === true;
  const aRows = sa[sa.length - 2]!;
  const aCols = sa[sa.length - 1]!;
  const bRows = sb[sb.length - 2]!;
  const bCols = sb[sb.length - 1]!;
  const m = ta ? aCols : aRows;
  const k = ta ? aRows : aCols;
  const n = tb ? bRows : bCols;
  const ai = ta ? 1 : aCols;
  const ap = ta ? aCols : 1;
  const bp = tb ? 1 : bCols;
  const bj = tb ? bCols : 1;
  const batch = s.shape.slice(0, -2);
  const sba = broadcastStrides(sa.slice(0, -2), batch).map((x) => x * aRows * aCols);
  const sbb = broadcastStrides(sb.slice(0, -2), batch).map((x) => x * bRows * bCols);
  const sbo = stridesOf(batch).map((x) => x * m * n);
  const bv = openLoops(w, d, batch, 'n');
  const iv = m === 1 ? null : 'i';
  const jv = n === 1 ? null : 'j';
  if (iv) w.open(d.loop(iv, m));
  if (jv) w.open(d.loop(jv, n));
  w.line(d.variable('s', '0'));
  const pv = k === 1 ? null : 'p';
  if (pv) w.open(d.loop(pv, k));
  const aIdx = index([...bv, iv, pv], [...sba, ai, ap]);
  const bIdx = index([...bv, pv, jv], [...sbb, bp, bj]);
  // float32 × float32 is exact in double, so s += a·b rounds once per step, as in Fluxion's kernel.
  w.line(`s += ${read(env, aId, aIdx)} * ${read(env, bId, bIdx)};`);
  if (pv) w.close();
  // A fused bias [n] (nn's linear) joins the double sum before the one rounding, as in Fluxion.
  const biasId = s.inputs[2];
  if (biasId !== undefined) w.line(`s += ${read(env, biasId, jv ?? '0')};`);
  w.line(d.store(s.dtype, target(env, s.id, index([...bv, iv, jv], [...sbo, n, 1])), 's'));
  if (jv) w.close();
  if (iv) w.close();
  closeLoops(w, bv);
}

/** Fluxion's reductions: sums in double, a last reduced axis summed row by row first, as the kernel does. */
function reduce(w: Lines, env: Env, s: Step): void {
  const d = env.d;
  const [xId] = s.inputs as [number];
  const shape = env.shape(xId);
  const axes = s.attrs!['axes'] as readonly number[];
  const kind = s.primitive;
  const strides = stridesOf(shape);
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const keptShape = kept.map((i) => shape[i]!);
  const kv = openLoops(w, d, keptShape, 'k');
  const init = kind === 'sum' ? '0' : kind === 'max' ? d.lit(-Infinity) : d.lit(Infinity);
  w.line(d.variable('acc', init));
  const last = shape.length - 1;
  const lastReduced = axes.includes(last);
  const outer = kind === 'sum' && lastReduced ? axes.filter((a) => a !== last) : [...axes];
  const rv = openLoops(
    w,
    d,
    outer.map((a) => shape[a]!),
    'r',
  );
  const base = index([...kv, ...rv], [...kept.map((i) => strides[i]!), ...outer.map((a) => strides[a]!)]);
  if (kind === 'sum' && lastReduced) {
    w.line(d.variable('t', '0'));
    const inner = shape[last]!;
    const jv = inner === 1 ? null : 'j';
    if (jv) w.open(d.loop(jv, inner));
    w.line(`t += ${read(env, xId, jv === null ? base : base === '0' ? jv : `${base} + ${jv}`)};`);
    if (jv) w.close();
    w.line('acc += t;');
  } else if (kind === 'sum') {
    w.line(`acc += ${read(env, xId, base)};`);
  } else {
    w.line(d.local('v', read(env, xId, base)));
    w.line(`if (v ${kind === 'max' ? '>' : '<'} acc || v ${d.ne} v) acc = v;`);
  }
  closeLoops(w, rv);
  w.line(d.store(s.dtype, target(env, s.id, index(kv, stridesOf(keptShape))), 'acc'));
  closeLoops(w, kv);
}

function transpose(w: Lines, env: Env, s: Step): void {
  const d = env.d;
  const [xId] = s.inputs as [number];
  const perm = s.attrs!['perm'] as readonly number[];
  const inStrides = stridesOf(env.shape(xId));
  const vars = openLoops(w, d, s.shape, 'i');
  w.line(d.store(s.dtype, target(env, s.id, index(vars, stridesOf(s.shape))), read(env, xId, index(vars, perm.map((p) => inStrides[p]!)))));
  closeLoops(w, vars);
}

/** Prints one step (not an alias) into `w`. */
export function emitStep(w: Lines, env: Env, s: Step): void {
  // A block per step, so the locals of one step never clash with another's.
  w.open('{');
  emitBody(w, env, s);
  w.close();
}

function emitBody(w: Lines, env: Env, s: Step): void {
  const d = env.d;
  if (UNARY.has(s.primitive)) return elementwise(w, env, s, ([v]) => unary(d, s.primitive, v!, s.attrs));
  if (BINARY.has(s.primitive)) return elementwise(w, env, s, ([a, b]) => binary(d, s.primitive, a!, b!));
  switch (s.primitive) {
    case 'where':
      return elementwise(w, env, s, ([c, a, b]) => (d.lang === 'c' ? `(${c} != 0 ? ${a} : ${b})` : `(${c} ? ${a} : ${b})`));
    case 'broadcastTo':
      return elementwise(w, env, s, ([v]) => v!);
    case 'matmul':
      return matmul(w, env, s);
    case 'sum':
    case 'max':
    case 'min':
      return reduce(w, env, s);
    case 'transpose':
      return transpose(w, env, s);
    default:
      throw new Error(`internal: no printer for ${s.primitive}`);
  }
}

/** Sanitises text for a comment in either language. */
export function commentText(s: string): string {
  return s.replace(/\*\//g, '* /').replace(/[\r\n]+/g, ' ');
}

/** The shared description of a program for the header comments. */
export function describeProgram(p: Program): string[] {
  const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;
  const lines: string[] = [];
  lines.push(`Input:  x, float32 [N, ${p.inputShape.join(', ')}]`.replace(', ]', ']'));
  lines.push(`Output: y, float32 [N, ${p.outputShape.join(', ')}]`.replace(', ]', ']'));
  lines.push(`N is the batch size. Weights (${p.weights.size}):`);
  for (const wt of p.weights.values()) lines.push(`  ${wt.name}: ${wt.dtype}${fmt(wt.shape)}  <- ${wt.label}`);
  lines.push(`Ops per example (${p.steps.length}):`);
  for (const s of p.steps) lines.push(`  ${s.text}`);
  lines.push(`  return %${p.outputId}`);
  return lines.map(commentText);
}
