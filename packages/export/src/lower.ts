/**
 * From a model function to a per-example program the code generators print.
 *
 * 1. Trace `(params, x) => predict(params, x)` twice, with batch sizes 2 and 3 (params are graph
 *    inputs too). The two graphs must be the same but for the batch size: each dimension (and
 *    each number in an op's attributes) that differs is 2 in one and 3 in the other, and becomes
 *    the symbolic batch size N. Anything else means the model depends on the batch size in
 *    another way, and is refused.
 * 2. Every value whose shape has N must have it as axis 0 only, and every op on such values must
 *    compute each example (each index along axis 0) from that example alone: elementwise ops,
 *    matmuls whose rows are examples, reductions and transposes that keep axis 0. So the
 *    generated code runs the graph for one example at a time (N = 1) in a loop over the batch:
 *    any batch size, fixed-size buffers, and the same sums in the same order as Fluxion.
 * 3. Ops that depend on the parameters only (not on x) run now, in Fluxion, and their results
 *    become weights, like the parameters the per-example ops read.
 */
import { Tensor, bind, tree, trace, zeros, type GraphNode } from '@fluxion/core';
import { ExportError, UnsupportedOpError } from './errors.js';

/** The symbolic batch size. */
export const N: unique symbol = Symbol('N');
/** A dimension: a number, or the batch size. */
export type Dim = number | typeof N;

const B1 = 2;
const B2 = 3;
const OP = 'exportModel';

/** dtypes the generated code handles: float32 values and bool masks. */
export type CodeDType = 'float32' | 'bool';

/** A batch-independent tensor the generated code reads: a parameter, a constant or a folded op. */
export interface Weight {
  readonly id: number;
  /** An identifier for the code (`l1_W`, `c12`). */
  readonly name: string;
  /** Where it comes from, for comments (`l1/W`, `%12 = transpose(l1/W)`). */
  readonly label: string;
  readonly dtype: CodeDType;
  readonly shape: readonly number[];
  readonly data: Float32Array | Uint8Array;
}

/** One op of the per-example program. */
export interface Step {
  /** The graph id of its result. */
  readonly id: number;
  readonly primitive: string;
  /** The op's attributes with N replaced by 1. */
  readonly attrs: Readonly<Record<string, unknown>> | null;
  /** Graph ids of its operands: per-example values or weights. */
  readonly inputs: readonly number[];
  /** Shape for one example (the batch axis is 1). */
  readonly shape: readonly number[];
  readonly dtype: CodeDType;
  /** The graph line, with N for the batch size and weight names (for comments). */
  readonly text: string;
}

/** What the code generators print: per-example ops over weights, run once per example. */
export interface Program {
  /** Graph id of the model input x. */
  readonly inputId: number;
  /** Graph id of the result. */
  readonly outputId: number;
  /** Shape of one example, the batch axis left out. */
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly inputSize: number;
  readonly outputSize: number;
  readonly weights: ReadonlyMap<number, Weight>;
  readonly steps: readonly Step[];
  /** Shape (batch axis 1) and dtype of every per-example value, x included. */
  readonly values: ReadonlyMap<number, { readonly shape: readonly number[]; readonly dtype: CodeDType }>;
}

/** Primitives the code generators implement, for per-example values. */
export const SUPPORTED: ReadonlySet<string> = new Set([
  'neg', 'exp', 'log', 'sqrt', 'sign', 'abs', 'sin', 'cos', 'tanh', 'sigmoid', 'softplus', 'relu', 'square', 'leakyRelu',
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum',
  'greater', 'greaterEqual', 'less', 'lessEqual', 'equal', 'notEqual', 'where',
  'matmul', 'sum', 'max', 'min', 'transpose', 'reshape', 'broadcastTo', 'stopGradient', 'astype',
]);

const fmtDims = (s: readonly Dim[]): string => `[${s.map((d) => (d === N ? 'N' : String(d))).join(', ')}]`;
const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

// ------------------------------------------------------------------------------ unification

const FAIL = Symbol('fail');

function unifyDim(a: number, b: number): Dim | typeof FAIL {
  if (a === b) return a;
  return a === B1 && b === B2 ? N : FAIL;
}

function unifyShape(a: readonly number[], b: readonly number[]): Dim[] | typeof FAIL {
  if (a.length !== b.length) return FAIL;
  const out: Dim[] = [];
  for (let i = 0; i < a.length; i++) {
    const d = unifyDim(a[i]!, b[i]!);
    if (d === FAIL) return FAIL;
    out.push(d);
  }
  return out;
}

/** Attributes of both traces, equal but for batch sizes (which become N). */
function unifyAttrs(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') return unifyDim(a, b);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return FAIL;
    const out: unknown[] = [];
    for (let i = 0; i < a.length; i++) {
      const u = unifyAttrs(a[i], b[i]);
      if (u === FAIL) return FAIL;
      out.push(u);
    }
    return out;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join('\u0000') !== kb.join('\u0000')) return FAIL;
    const out: Record<string, unknown> = {};
    for (const k of ka) {
      const u = unifyAttrs((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]);
      if (u === FAIL) return FAIL;
      out[k] = u;
    }
    return out;
  }
  return Object.is(a, b) ? a : FAIL;
}

/** Attributes for one example: N becomes 1. */
function perExample(x: unknown): unknown {
  if (x === N) return 1;
  if (Array.isArray(x)) return x.map(perExample);
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, perExample(v)]));
  return x;
}

function sameBytes(a: Tensor, b: Tensor): boolean {
  if (a === b) return true;
  const x = a.data;
  const y = b.data;
  const bx = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const by = new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
  if (bx.length !== by.length) return false;
  for (let i = 0; i < bx.length; i++) if (bx[i] !== by[i]) return false;
  return true;
}

// ------------------------------------------------------------------------------ lowering

function notPolymorphic(what: string): ExportError {
  return new ExportError(
    OP,
    `the model is not batch-polymorphic: traced with batch sizes ${B1} and ${B2}, ${what}. The exported code ` +
      'runs on any batch size, so the model may depend on the batch size only through axis 0 of its values',
  );
}

function describeNode(n: GraphNode): string {
  return `%${n.id} = ${n.primitive}(${n.inputs.map((i) => `%${i}`).join(', ')}) ${n.dtype}[${n.shape.join(', ')}]`;
}

function fmtAttrs(v: unknown): string {
  if (v === N) return 'N';
  if (Array.isArray(v)) return `[${v.map(fmtAttrs).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}: ${fmtAttrs(x)}`)
      .join(', ')}}`;
  }
  return String(v);
}

function identifier(label: string): string {
  const s = label.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(s) ? s : `w_${s}`;
}

/**
 * Traces `predict(params, x)` for x of shape `[batch, ...inputShape.slice(1)]` and lowers it to a
 * per-example program (see the module comment).
 * @throws ExportError when the model is not batch-polymorphic, mixes examples, or its output is
 *   not one float32 tensor with the batch axis first; UnsupportedOpError naming a primitive the
 *   code generators lack; the trace's own errors (TracerError naming the op that read values).
 */
export function lower<P>(predict: (params: P, x: Tensor) => Tensor, params: P, inputShape: readonly number[]): Program {
  if (typeof predict !== 'function') throw new ExportError(OP, `predict must be a function (params, x) => y, got ${typeof predict}`);
  if (!Array.isArray(inputShape) || inputShape.length === 0) {
    throw new ExportError(OP, `inputShape must be [batch, ...features] with at least the batch axis, got ${JSON.stringify(inputShape)}`);
  }
  const [b0, ...feat] = inputShape as number[];
  if (!(b0 === -1 || (Number.isInteger(b0) && b0! > 0))) {
    throw new ExportError(OP, `inputShape[0] is the batch axis: a positive integer (any, it is only an example) or -1, got ${b0}`);
  }
  feat.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 1) throw new ExportError(OP, `inputShape[${i + 1}] must be a positive integer, got ${d}`);
  });

  const f = (p: P, x: Tensor): Tensor => predict(p, x);
  const g1 = trace(f, params, zeros([B1, ...feat]));
  const g2 = trace(f, params, zeros([B2, ...feat]));
  const out1 = g1.outputs[0];
  if (g1.outTree.numLeaves !== 1 || String(g1.outTree) !== 'TreeDef(*)' || out1 === undefined) {
    throw new ExportError(OP, `predict must return one Tensor, got the structure ${g1.outTree}`);
  }

  // 1. Two traces, one symbolic graph.
  const total = g1.inputs.length + g1.constants.length + g1.nodes.length;
  if (
    g2.inputs.length + g2.constants.length + g2.nodes.length !== total ||
    g2.nodes.length !== g1.nodes.length ||
    g2.constants.length !== g1.constants.length
  ) {
    throw notPolymorphic(`it records ${g1.nodes.length} and ${g2.nodes.length} ops`);
  }
  if (g2.outputs[0] !== out1) throw notPolymorphic(`the result is %${out1} in one graph and %${g2.outputs[0]} in the other`);
  const sym = new Map<number, Dim[]>();
  const attrsOf = new Map<number, Readonly<Record<string, unknown>> | null>();
  const differing = new Set<number>();
  const symAttrs = new Map<number, unknown>();
  for (let id = 0; id < total; id++) {
    const v1 = g1.value(id);
    const v2 = g2.value(id);
    const shape = unifyShape(v1.shape, v2.shape);
    if (v1.kind !== v2.kind || v1.dtype !== v2.dtype || shape === FAIL) {
      const d = (v: typeof v1): string => (v.kind === 'op' ? describeNode(v) : `%${v.id} (${v.kind}) ${v.dtype}[${v.shape.join(', ')}]`);
      throw notPolymorphic(`the graphs differ at ${d(v1)} and ${d(v2)}`);
    }
    sym.set(id, shape);
    if (v1.kind === 'op' && v2.kind === 'op') {
      const attrs = unifyAttrs(v1.attrs, v2.attrs);
      if (v1.primitive !== v2.primitive || v1.inputs.join() !== v2.inputs.join() || attrs === FAIL) {
        throw notPolymorphic(`the graphs differ at ${describeNode(v1)} ${fmtAttrs(v1.attrs)} and ${describeNode(v2)} ${fmtAttrs(v2.attrs)}`);
      }
      symAttrs.set(id, attrs);
      attrsOf.set(id, perExample(attrs) as Readonly<Record<string, unknown>> | null);
    } else if (v1.kind === 'constant' && v2.kind === 'constant') {
      if (shape.includes(N)) {
        throw new ExportError(
          OP,
          `the constant %${id} of shape ${fmtDims(shape)} depends on the batch size (a tensor created inside the model from ` +
            "x's shape?); make it batch-independent and let broadcasting repeat it",
        );
      }
      // Reported only if the code needs it: a clearer error (an op mixing examples) may come first.
      if (!sameBytes(v1.value, v2.value)) differing.add(id);
    }
  }

  // 2. Values: x, parameters, constants, folded ops (batch-independent) and per-example ops.
  const leaves = tree.flatten([params, zeros([B1, ...feat])]).leaves as unknown[];
  const xInput = g1.inputs.find((i) => i.arg === 1);
  if (xInput === undefined) throw new ExportError(OP, 'internal: the traced graph has no input x');
  const hasN = (id: number): boolean => sym.get(id)!.includes(N);
  const statics = new Map<number, Tensor>();
  const labels = new Map<number, string>();
  for (const inp of g1.inputs) {
    if (inp.arg !== 0) continue;
    statics.set(inp.id, leaves[inp.leafIndex] as Tensor);
    labels.set(inp.id, inp.path === '' ? 'params' : inp.path);
  }
  for (const c of g1.constants) {
    statics.set(c.id, c.value);
    labels.set(c.id, `constant %${c.id}`);
  }
  const nameOf = (id: number): string => (id === xInput.id ? 'x' : labels.get(id) ?? `%${id}`);

  const steps: Step[] = [];
  const values = new Map<number, { shape: number[]; dtype: CodeDType }>();
  const rowShape = (id: number): number[] => sym.get(id)!.map((d) => (d === N ? 1 : d));
  values.set(xInput.id, { shape: rowShape(xInput.id), dtype: 'float32' });
  const used = new Set<number>();
  for (const n of g1.nodes) {
    const outN = hasN(n.id);
    const inN = n.inputs.some(hasN);
    const attrs = attrsOf.get(n.id) ?? null;
    if (!outN && !inN) {
      // Depends on parameters and constants only: compute it now, exactly as Fluxion would.
      statics.set(n.id, bind(n.prim, n.inputs.map((i) => statics.get(i)!), n.attrs as never));
      labels.set(n.id, `%${n.id} = ${n.primitive}(${n.inputs.map(nameOf).join(', ')})`);
      continue;
    }
    const text = `%${n.id}: ${n.dtype}${fmtDims(sym.get(n.id)!)} = ${n.primitive} ${n.inputs.map((i) => (hasN(i) || !labels.has(i) ? `%${i}` : labels.get(i)!)).join(' ')}${
      n.attrs === null ? '' : ` ${fmtAttrs(symAttrs.get(n.id))}`
    }`.replace(/\s+$/, '');
    if (!SUPPORTED.has(n.primitive)) {
      throw new UnsupportedOpError(
        OP,
        n.primitive,
        `the primitive '${n.primitive}' is not supported by the code generators (in ${text}); supported: ${[...SUPPORTED].join(', ')}`,
      );
    }
    checkPerExample(n, sym, attrs, text);
    if (n.dtype !== 'float32' && n.dtype !== 'bool') {
      throw new ExportError(OP, `${text}: the generated code computes float32 and bool values only, got ${n.dtype}`);
    }
    for (const i of n.inputs) {
      if (!hasN(i)) used.add(i);
      const dt = hasN(i) ? values.get(i)?.dtype : statics.get(i)!.dtype;
      if (dt !== 'float32' && dt !== 'bool') {
        throw new ExportError(OP, `${text}: operand %${i} is ${dt}; the generated code handles float32 and bool values only`);
      }
    }
    steps.push({ id: n.id, primitive: n.primitive, attrs, inputs: n.inputs, shape: rowShape(n.id), dtype: n.dtype, text });
    values.set(n.id, { shape: rowShape(n.id), dtype: n.dtype });
  }

  // 3. The result: one float32 tensor [N, ...].
  const outSym = sym.get(out1)!;
  if (outSym[0] !== N || outSym.slice(1).includes(N)) {
    throw new ExportError(
      OP,
      `predict's result must have the batch axis first, shape [N, ...]; got ${fmtDims(outSym)} (N is the batch size)`,
    );
  }
  const outV = values.get(out1)!;
  if (outV.dtype !== 'float32') throw new ExportError(OP, `predict's result must be float32, got ${outV.dtype}`);

  // Only the ops the result needs (a traced function may compute values it then drops).
  const live = new Set<number>([out1]);
  for (let k = steps.length - 1; k >= 0; k--) if (live.has(steps[k]!.id)) for (const i of steps[k]!.inputs) live.add(i);
  const liveSteps = steps.filter((st) => live.has(st.id));
  for (const id of [...used]) if (!live.has(id)) used.delete(id);
  const folded = (id: number): number[] => {
    const v = g1.value(id);
    return v.kind === 'op' ? [id, ...v.inputs.flatMap(folded)] : [id];
  };
  for (const id of used) {
    const bad = folded(id).find((i) => differing.has(i));
    if (bad !== undefined) {
      throw notPolymorphic(`the constant %${bad} (used by the per-example ops) has different values, e.g. a count of examples`);
    }
  }
  const weights = new Map<number, Weight>();
  // Names the generated files use themselves, and the shapes of buffer (t7) and constant (c12) names.
  const names = new Set<string>(['input_size', 'output_size', 'F', 'M', 'B64', 'bytes', 'f32']);
  for (const id of [...used].sort((a, b) => a - b)) {
    const t = statics.get(id)!;
    const label = labels.get(id)!;
    let name = g1.value(id).kind === 'input' ? identifier(label) : `c${id}`;
    if (names.has(name) || (g1.value(id).kind === 'input' && /^[tc]\d+$/.test(name))) name = `${name}_${id}`;
    names.add(name);
    const data = t.dtype === 'float32' ? new Float32Array(t.data as Float32Array) : new Uint8Array(t.data as Uint8Array);
    weights.set(id, { id, name, label, dtype: t.dtype as CodeDType, shape: [...t.shape], data });
  }
  const outputShape = rowShape(out1).slice(1);
  return {
    inputId: xInput.id,
    outputId: out1,
    inputShape: feat,
    outputShape,
    inputSize: prod(feat),
    outputSize: prod(outputShape),
    weights,
    steps: liveSteps,
    values,
  };
}

/** Refuses ops whose result for one example needs other examples (or moves the batch axis). */
function checkPerExample(
  n: GraphNode,
  sym: ReadonlyMap<number, readonly Dim[]>,
  attrs: Readonly<Record<string, unknown>> | null,
  text: string,
): void {
  const out = sym.get(n.id)!;
  const refuse = (why: string): ExportError =>
    new ExportError(OP, `${text}: ${why}; the exported code computes each example (index along axis 0) on its own`);
  if (out[0] !== N || out.slice(1).includes(N)) throw refuse(`the result ${fmtDims(out)} does not keep the batch axis N as axis 0`);
  // Reshapes and reductions may change the rank; every other op aligns axes from the right
  // (broadcasting), so an operand with the batch axis must have the result's rank.
  const sameRank = !['reshape', 'sum', 'max', 'min'].includes(n.primitive);
  n.inputs.forEach((i, k) => {
    const s = sym.get(i)!;
    if (!s.includes(N)) return;
    if ((sameRank && s.length !== out.length) || s[0] !== N || s.slice(1).includes(N)) {
      throw refuse(`operand ${k} ${fmtDims(s)} does not line its batch axis up with the result's ${fmtDims(out)}`);
    }
  });
  const a = attrs ?? {};
  switch (n.primitive) {
    case 'matmul':
      if (out.length === 2) {
        if (sym.get(n.inputs[1]!)!.includes(N)) throw refuse('the right operand of a 2-D matmul carries the batch axis, which mixes examples');
        if (a['ta'] === true) throw refuse('the left operand is transposed, so its batch axis is contracted');
      }
      break;
    case 'sum':
    case 'max':
    case 'min':
      if ((a['axes'] as readonly number[]).includes(0)) throw refuse('it reduces over the batch axis');
      break;
    case 'transpose':
      if ((a['perm'] as readonly number[])[0] !== 0) throw refuse('it moves the batch axis');
      break;
    case 'astype': {
      const to = a['dtype'];
      if (to !== 'float32' && to !== 'bool') throw refuse(`casts to ${String(to)}; only float32 and bool are supported`);
      break;
    }
  }
}
