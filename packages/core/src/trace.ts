/**
 * Tracing: run a pure function on abstract tensors (shape and dtype, no data) and record every
 * primitive it binds into a `Graph`, like `jax.make_jaxpr`. It needs no second copy of the ops:
 * `bind` (dispatch.ts) hands ops on abstract inputs to the recorder installed here, after the
 * same shape and dtype checks as eager code. `evaluate` runs a graph through `bind` again, so it
 * computes exactly what the function computes, bit for bit, and differentiates like it.
 *
 * Autodiff works while tracing: the recorder attaches backward nodes to the abstract outputs just
 * as `bind` does for concrete ones, so `trace(valueAndGrad(loss), params, batch)` records the
 * forward and the backward pass (a training step as one graph).
 */
import type { DType } from './dtype.js';
import { bind, nodesFor, withRecorder, type Aval, type Primitive, type TraceRecorder } from './dispatch.js';
import { DTypeError, FluxionError, ShapeError, fmtShape } from './errors.js';
import { formatValue } from './format.js';
import { Tensor, TracerError, describe } from './tensor.js';
import { TreeStructureError, flatten, paths, unflatten, type TreeDef } from './tree.js';

/** What every value of a graph has: its number (`%id` when printed), shape and dtype. */
export interface GraphValue {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** An argument leaf of the traced function: a tensor it received. */
export interface GraphInput extends GraphValue {
  readonly kind: 'input';
  /** Which positional argument the leaf is in. */
  readonly arg: number;
  /** The leaf's path inside that argument (`'l1/W'`); `''` when the argument is the tensor itself. */
  readonly path: string;
  /** Position of the leaf among all the argument leaves (tensors or not), in `tree.flatten` order. */
  readonly leafIndex: number;
}

/**
 * A concrete tensor that met the traced ones: closed over by the function, or created inside it
 * (`zeros`, the 0-d tensor a JS number becomes in `add(x, 1)`). Its value is part of the graph.
 */
export interface GraphConstant extends GraphValue {
  readonly kind: 'constant';
  readonly value: Tensor;
}

/** One primitive op: `primitive(inputs...)` with `attrs`, giving the value `id`. */
export interface GraphNode extends GraphValue {
  readonly kind: 'op';
  /** The primitive's name (`'matmul'`, `'add'`, ...). */
  readonly primitive: string;
  /** The primitive itself, which `evaluate` binds. */
  readonly prim: Primitive<never>;
  /** The primitive's attributes (axes, permutation, slope...), deep-frozen; `null` for none. */
  readonly attrs: unknown;
  /** Ids of the operands: inputs, constants or earlier nodes. */
  readonly inputs: readonly number[];
}

/**
 * An immutable record of what a function computes, from `trace(f, ...exampleArgs)`. Ids number
 * all values (inputs first, then constants and op results in the order they appeared); every
 * operand of a node is an input, a constant or an earlier node. `toString()` prints one line per
 * value.
 */
export interface Graph<Args extends readonly unknown[] = readonly unknown[], R = unknown> {
  /** The tensor leaves of the arguments, in `tree.flatten(args)` order. */
  readonly inputs: readonly GraphInput[];
  /** Concrete tensors the computation uses, in the order they were met. */
  readonly constants: readonly GraphConstant[];
  /** The ops, in execution order. */
  readonly nodes: readonly GraphNode[];
  /** Ids of the result's leaves, in `tree.flatten(result)` order. */
  readonly outputs: readonly number[];
  /** The structure of the argument list (an array with one entry per argument). */
  readonly inTree: TreeDef<Args>;
  /** The structure of the result. */
  readonly outTree: TreeDef<R>;
  /** Input, constant or node by id. @throws FluxionError for an unknown id. */
  value(id: number): GraphInput | GraphConstant | GraphNode;
  /** One line per input, constant and op with shapes, then the outputs. */
  toString(): string;
}

// ------------------------------------------------------------------------------------- recording

type Value = GraphInput | GraphConstant | GraphNode;

/** Deep copy of plain attribute data, frozen: the graph must not change under its user. */
function freezeAttrs(x: unknown): unknown {
  if (Array.isArray(x)) return Object.freeze(x.map(freezeAttrs));
  if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) out[k] = freezeAttrs(v);
    return Object.freeze(out);
  }
  return x;
}

class Recorder implements TraceRecorder {
  readonly ids = new Map<Tensor, number>();
  readonly values: Value[] = [];
  readonly constants: GraphConstant[] = [];
  readonly nodes: GraphNode[] = [];

  input(t: Tensor, arg: number, path: string, leafIndex: number): Tensor {
    const shape = Object.freeze([...t.shape]);
    const v: GraphInput = Object.freeze({ kind: 'input', id: this.values.length, shape, dtype: t.dtype, arg, path, leafIndex });
    this.values.push(v);
    const abstract = new Tensor(shape, t.dtype, null);
    this.ids.set(abstract, v.id);
    return abstract;
  }

  /** The id of an operand: a traced value, or a concrete tensor that becomes a constant. */
  ref(t: Tensor, op: string): number {
    const id = this.ids.get(t);
    if (id !== undefined) return id;
    if (t._data === null) {
      throw new TracerError(
        op,
        `got an abstract tensor ${describe(t)} that does not belong to this trace: a value that escaped ` +
          'from another trace() call (for example through a closure or a global) cannot be used here',
      );
    }
    const c: GraphConstant = Object.freeze({ kind: 'constant', id: this.values.length, shape: t.shape, dtype: t.dtype, value: t });
    this.values.push(c);
    this.constants.push(c);
    this.ids.set(t, c.id);
    return c.id;
  }

  record<A>(prim: Primitive<A>, inputs: readonly Tensor[], attrs: A, aval: Aval): Tensor {
    const refs = inputs.map((t) => this.ref(t, prim.name));
    // A fresh shape array per value: shapes of eager tensors are shared between tensors.
    const shape = Object.freeze([...aval.shape]);
    const vjp = prim.vjp;
    // As bind does for concrete values: one autodiff node per active level an input belongs to.
    let out: Tensor;
    const nodes =
      vjp === undefined ? null : nodesFor(inputs, shape, aval.dtype, (g, needs) => vjp(g, inputs, out, attrs, needs));
    out = new Tensor(shape, aval.dtype, null, nodes);
    const node: GraphNode = Object.freeze({
      kind: 'op',
      id: this.values.length,
      shape,
      dtype: aval.dtype,
      primitive: prim.name,
      prim: prim as unknown as Primitive<never>,
      attrs: freezeAttrs(attrs),
      inputs: Object.freeze(refs),
    });
    this.values.push(node);
    this.nodes.push(node);
    this.ids.set(out, node.id);
    return out;
  }

  alias(from: Tensor, to: Tensor): void {
    const id = this.ids.get(from);
    if (id !== undefined) this.ids.set(to, id);
  }
}

// ------------------------------------------------------------------------------------- printing

function fmtAttr(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(fmtAttr).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}: ${fmtAttr(x)}`)
      .join(', ')}}`;
  }
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

const aval = (v: GraphValue): string => `${v.dtype}${fmtShape(v.shape)}`;

function constantText(c: GraphConstant): string {
  if (c.value.size > 8) return '';
  return ' ' + formatValue(c.value).replace(/\s*\n\s*/g, ' ');
}

class GraphImpl<Args extends readonly unknown[], R> implements Graph<Args, R> {
  constructor(
    readonly inputs: readonly GraphInput[],
    readonly constants: readonly GraphConstant[],
    readonly nodes: readonly GraphNode[],
    readonly outputs: readonly number[],
    readonly inTree: TreeDef<Args>,
    readonly outTree: TreeDef<R>,
    private readonly values: readonly Value[],
  ) {
    Object.freeze(this);
  }

  value(id: number): Value {
    const v = this.values[id];
    if (v === undefined) throw new FluxionError('Graph.value', `no value %${id} (the graph has ${this.values.length})`);
    return v;
  }

  toString(): string {
    const lines: string[] = [];
    const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
    lines.push(`graph(${count(this.inputs.length, 'input')}, ${count(this.constants.length, 'constant')}, ${count(this.nodes.length, 'op')}) {`);
    for (const v of this.inputs) lines.push(`  %${v.id}: ${aval(v)} = input ${v.path === '' ? v.arg : `${v.arg}/${v.path}`}`);
    for (const c of this.constants) lines.push(`  %${c.id}: ${aval(c)} = constant${constantText(c)}`);
    for (const n of this.nodes) {
      const attrs = n.attrs === null || n.attrs === undefined ? '' : ` ${fmtAttr(n.attrs)}`;
      lines.push(`  %${n.id}: ${aval(n)} = ${n.primitive} ${n.inputs.map((i) => `%${i}`).join(' ')}${attrs}`);
    }
    lines.push(`  return ${this.outputs.map((i) => `%${i}`).join(', ')}`);
    lines.push('}');
    return lines.join('\n');
  }
}

// ------------------------------------------------------------------------------------- API

/**
 * Runs `f` on abstract tensors shaped like the tensor leaves of `exampleArgs` and returns the
 * graph of primitive ops it performs. Arguments are trees; their tensor leaves become the graph's
 * inputs (only their shapes and dtypes are used), other leaves (numbers, options, random keys) are
 * passed to `f` unchanged and baked into the graph. The result must be a tree of tensors.
 *
 * Derived ops (`softmax`, `mean`, `linear`...) appear as the primitives they are made of. Concrete
 * tensors that meet traced ones (closed over, or created inside `f`) become constants; ops on
 * concrete tensors only run eagerly and only their results appear (constant folding).
 *
 * `f` must be traceable: it may use shapes and dtypes freely, but not tensor values.
 *
 * @example
 * const g = trace((p, x) => mlp(p, x), params, zeros([100, 1]));
 * String(g)   // graph(... ) { %0: float32[100, 1] = input 0 ... %9: ... = matmul %0 %3 ... }
 * evaluate(g, params, x)   // = mlp(params, x), bit for bit
 * @throws TracerError naming the op when `f` reads the values of a traced tensor (`.data`,
 *   `item()`, `toArray()`), e.g. to branch on them; DTypeError when `f` returns a non-tensor leaf;
 *   shape and dtype errors of the ops as eager code throws them.
 */
export function trace<const Args extends readonly unknown[], R>(f: (...args: Args) => R, ...exampleArgs: Args): Graph<Args, R> {
  if (typeof f !== 'function') throw new FluxionError('trace', `the first argument must be a function, got ${typeof f}`);
  const rec = new Recorder();
  const { leaves, treedef } = flatten(exampleArgs as Args);
  const ps = paths(exampleArgs);
  const args = unflatten(
    treedef,
    leaves.map((x, i) => {
      if (!(x instanceof Tensor)) return x;
      const full = ps[i]!;
      const cut = full.indexOf('/');
      const arg = Number(cut < 0 ? full : full.slice(0, cut));
      return rec.input(x, arg, cut < 0 ? '' : full.slice(cut + 1), i);
    }),
  ) as unknown as Args;
  const out = withRecorder(rec, () => {
    const r = f(...args);
    const o = flatten(r);
    const op = paths(r);
    const ids = o.leaves.map((y, i) => {
      if (!(y instanceof Tensor)) {
        const where = op[i] === '' ? 'a' : `at '${op[i]}' a`;
        throw new DTypeError('trace', `the function returned ${where} non-tensor leaf (${y === null ? 'null' : typeof y})`);
      }
      return rec.ref(y, 'trace');
    });
    return { ids, treedef: o.treedef };
  });
  const inputs = rec.values.filter((v): v is GraphInput => v.kind === 'input');
  return new GraphImpl<Args, R>(
    Object.freeze(inputs),
    Object.freeze([...rec.constants]),
    Object.freeze([...rec.nodes]),
    Object.freeze(out.ids),
    treedef,
    out.treedef as TreeDef<R>,
    Object.freeze([...rec.values]),
  );
}

/**
 * Runs a traced graph on new arguments: every op goes through `bind` with its recorded attributes,
 * so the result equals calling the traced function on these arguments, bit for bit (for any
 * arguments with the traced shapes and dtypes), and can be differentiated or traced again.
 * Non-tensor leaves of the arguments are ignored: their traced values are part of the graph.
 *
 * @throws TreeStructureError when the arguments' structure differs from the traced one;
 *   ShapeError or DTypeError naming the input whose shape or dtype differs.
 */
export function evaluate<Args extends readonly unknown[], R>(graph: Graph<Args, R>, ...args: Args): R {
  const { leaves, treedef } = flatten(args as Args);
  if (!treedef.equals(graph.inTree)) {
    throw new TreeStructureError('evaluate', `the arguments' structure ${treedef} differs from the traced ${graph.inTree}`);
  }
  const env: Tensor[] = [];
  for (const inp of graph.inputs) {
    const t = leaves[inp.leafIndex];
    const name = inp.path === '' ? `argument ${inp.arg}` : `the leaf '${inp.path}' of argument ${inp.arg}`;
    if (!(t instanceof Tensor)) {
      throw new DTypeError('evaluate', `${name} must be a ${aval(inp)} tensor, got ${t === null ? 'null' : typeof t}`);
    }
    if (t.dtype !== inp.dtype) throw new DTypeError('evaluate', `${name} must be ${aval(inp)}, got ${describe(t)}`);
    if (t.ndim !== inp.shape.length || t.shape.some((d, i) => d !== inp.shape[i])) {
      throw new ShapeError('evaluate', `${name} must be ${aval(inp)}, got ${describe(t)}`);
    }
    env[inp.id] = t;
  }
  for (const c of graph.constants) env[c.id] = c.value;
  for (const n of graph.nodes) {
    env[n.id] = bind(
      n.prim,
      n.inputs.map((i) => env[i]!),
      n.attrs as never,
    );
  }
  return unflatten(
    graph.outTree,
    graph.outputs.map((i) => env[i]!),
  ) as unknown as R;
}
