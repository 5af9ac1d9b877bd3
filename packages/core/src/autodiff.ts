/**
 * Reverse-mode autodiff via closures. Every op output records, per active level, a node that
 * holds its inputs and a backward closure (dispatch.ts). `vjp` opens a level, marks its
 * arguments as that level's variables, runs the function, and returns a pullback that walks the
 * level's nodes in reverse topological order. Levels keep nested differentiation apart: a walk at
 * one level never follows another level's nodes, so there is no perturbation confusion, and
 * because backward rules are written with ops, an outer level records the inner walk
 * (grad of grad).
 */
import { isFloat } from './dtype.js';
import { nodeAt, nodesFor, popLevel, pushLevel, rewrapped, withoutRecording } from './dispatch.js';
import { DTypeError, FluxionError, ShapeError, ValueError, fmtShape } from './errors.js';
import { ones, zeros } from './creation.js';
import { shapesEqual } from './shape.js';
import { Tensor, type AdNode } from './tensor.js';
import { assertSameStructure, flatten, paths, unflatten, type TreeDef } from './tree.js';
import { add, mul } from './ops/elementwise.js';
import { sum } from './ops/reduce.js';
import { unbroadcast } from './ops/shape.js';

function variable(op: string, x: unknown, level: number, pathOf: () => string): Tensor {
  // Paths are only for messages: computed when something is wrong, not on every call.
  const where = (): string => (pathOf() === '' ? 'the argument' : `the leaf at '${pathOf()}'`);
  if (!(x instanceof Tensor)) {
    throw new DTypeError(op, `${where()} is ${x === null ? 'null' : typeof x}, not a Tensor; only float tensors can be differentiated`);
  }
  if (!isFloat(x.dtype)) {
    throw new DTypeError(op, `${where()} has dtype ${x.dtype}; only float32 and float64 tensors can be differentiated`);
  }
  const leaf: AdNode = { level, shape: x.shape, dtype: x.dtype, inputs: null, backward: null };
  return rewrapped(x, new Tensor(x.shape, x.dtype, x._data, x._nodes ? [...x._nodes, leaf] : [leaf]));
}

/** The same tensor without its node at `level`, so a returned value does not pin the graph. */
function release(t: Tensor, level: number): Tensor {
  const nodes = t._nodes;
  if (nodes === null || nodeAt(t, level) === undefined) return t;
  const rest = nodes.filter((n) => n.level !== level);
  return rewrapped(t, new Tensor(t.shape, t.dtype, t._data, rest.length ? rest : null));
}

/** Nodes of `level` reachable from `roots`, children before parents. */
function topoOrder(roots: readonly AdNode[], level: number): AdNode[] {
  const order: AdNode[] = [];
  const seen = new Set<AdNode>();
  const stack: { node: AdNode; next: number }[] = [];
  for (const root of roots) {
    if (seen.has(root)) continue;
    seen.add(root);
    stack.push({ node: root, next: 0 });
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const inputs = top.node.inputs;
      if (inputs !== null && top.next < inputs.length) {
        const child = nodeAt(inputs[top.next++]!, level);
        if (child !== undefined && !seen.has(child)) {
          seen.add(child);
          stack.push({ node: child, next: 0 });
        }
      } else {
        stack.pop();
        order.push(top.node);
      }
    }
  }
  return order;
}

/** Walks `level` backward from (root, seed) pairs; returns the cotangent of every node reached. */
function backwardPass(level: number, roots: readonly AdNode[], seeds: readonly Tensor[]): Map<AdNode, Tensor> {
  const ct = new Map<AdNode, Tensor>();
  const accumulate = (node: AdNode, g: Tensor): void => {
    const prev = ct.get(node);
    ct.set(node, prev === undefined ? g : add(prev, g));
  };
  roots.forEach((r, i) => accumulate(r, seeds[i]!));
  const order = topoOrder(roots, level);
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k]!;
    const inputs = node.inputs;
    if (inputs === null) continue;
    const g = ct.get(node);
    if (g === undefined) continue;
    ct.delete(node);
    const needs = inputs.map((t) => nodeAt(t, level) !== undefined);
    const gs = node.backward!(g, needs);
    for (let i = 0; i < inputs.length; i++) {
      const gi = gs[i];
      if (!needs[i] || gi === null || gi === undefined) continue;
      const inNode = nodeAt(inputs[i]!, level)!;
      accumulate(inNode, unbroadcast(gi, inNode.shape));
    }
  }
  return ct;
}

/** A pullback: maps a cotangent shaped like the output to cotangents shaped like each argument. */
export type Pullback<Args extends readonly unknown[], R> = (cotangent: R) => Args;

/**
 * Evaluates `f(...primals)` and returns its value with a pullback, the vector-Jacobian product:
 * `pullback(ct)` gives, for each argument, the gradient of ⟨ct, f⟩ as a tree of the argument's
 * type. Arguments and the result are trees whose leaves are float tensors. An argument leaf that
 * does not influence the result gets zeros of its shape.
 *
 * @example const [y, pb] = vjp((x) => mul(x, x), tensor([3])); pb(tensor([1]))  // [[6]]
 * @throws DTypeError when an argument leaf is not a float tensor, or `f` returns a non-tensor
 *   leaf; ShapeError when the cotangent's structure, shape or dtype differs from the output's.
 */
export function vjp<const Args extends readonly unknown[], R>(
  f: (...args: Args) => R,
  ...primals: Args
): [R, Pullback<Args, R>] {
  const level = pushLevel();
  const leafNodes: AdNode[][] = [];
  // Structures as of the call: the caller may change its trees before calling the pullback.
  const inDefs: TreeDef<unknown>[] = [];
  let out: R;
  try {
    const wrapped = primals.map((p) => {
      const { leaves, treedef } = flatten(p);
      inDefs.push(treedef);
      const vars = leaves.map((x, j) => variable('vjp', x, level, () => paths(p)[j] ?? ''));
      leafNodes.push(vars.map((v) => nodeAt(v, level)!));
      return unflatten(treedef, vars);
    }) as unknown as Args;
    out = f(...wrapped);
  } finally {
    popLevel(level);
  }
  const outFlat = flatten(out);
  const outPaths = (): string[] => paths(out);
  outFlat.leaves.forEach((y, i) => {
    if (!(y instanceof Tensor)) {
      throw new DTypeError('vjp', `the function returned a non-tensor leaf at '${outPaths()[i]}' (${typeof y})`);
    }
  });
  const outs = outFlat.leaves as Tensor[];
  const pullback = (cotangent: R): Args => {
    const ctFlat = flatten(cotangent);
    if (!ctFlat.treedef.equals(outFlat.treedef)) {
      throw new ShapeError('vjp', `the cotangent's structure ${ctFlat.treedef} differs from the output's ${outFlat.treedef}`);
    }
    const roots: AdNode[] = [];
    const seeds: Tensor[] = [];
    outs.forEach((y, i) => {
      const c = ctFlat.leaves[i];
      if (!(c instanceof Tensor) || !shapesEqual(c.shape, y.shape) || c.dtype !== y.dtype) {
        const found = c instanceof Tensor ? `${c.dtype}${fmtShape(c.shape)}` : typeof c;
        throw new ShapeError('vjp', `cotangent at '${outPaths()[i]}' must be ${y.dtype}${fmtShape(y.shape)}, got ${found}`);
      }
      const node = nodeAt(y, level);
      if (node !== undefined) {
        roots.push(node);
        seeds.push(c);
      }
    });
    const ct = backwardPass(level, roots, seeds);
    return inDefs.map((treedef, i) =>
      unflatten(
        treedef,
        leafNodes[i]!.map((n) => ct.get(n) ?? zeros(n.shape, n.dtype)),
      ),
    ) as unknown as Args;
  };
  return [outFlat.leaves.length === 1 && out instanceof Tensor ? (release(out, level) as R) : out, pullback];
}

/** Options of `grad` and `valueAndGrad`. */
export interface GradOptions<N extends number | readonly number[] = number | readonly number[]> {
  /** Which positional arguments to differentiate: one index (default 0) or a list. */
  readonly argnums?: N;
  /** `f` returns `[loss, aux]`; aux is passed through undifferentiated. */
  readonly hasAux?: boolean;
}

type Picked<A extends readonly unknown[], N> = N extends number
  ? A[N]
  : N extends readonly number[]
    ? { -readonly [K in keyof N]: A[N[K] & number] }
    : A[0];

function valueAndGradImpl(
  f: (...args: unknown[]) => unknown,
  opts: GradOptions,
  op: string,
): (...args: unknown[]) => [unknown, unknown] {
  const argnums = opts.argnums ?? 0;
  const nums = typeof argnums === 'number' ? [argnums] : [...argnums];
  return (...args) => {
    for (const n of nums) {
      if (!Number.isInteger(n) || n < 0 || n >= args.length) {
        throw new ValueError(op, `argnums ${JSON.stringify(argnums)} is out of range for ${args.length} arguments`);
      }
    }
    let aux: unknown;
    const [value, pb] = vjp(
      (...d: unknown[]) => {
        const full = [...args];
        nums.forEach((n, k) => (full[n] = d[k]));
        const r = f(...full);
        if (opts.hasAux) {
          if (!Array.isArray(r) || r.length !== 2) {
            throw new ValueError(op, 'with hasAux the function must return [loss, aux]');
          }
          aux = r[1];
          return r[0] as Tensor;
        }
        return r as Tensor;
      },
      ...nums.map((n) => args[n]),
    );
    if (!(value instanceof Tensor) || value.ndim !== 0) {
      const got = value instanceof Tensor ? `shape ${fmtShape(value.shape)}` : typeof value;
      throw new ShapeError(
        op,
        `the function must return a scalar tensor (shape []), got ${got}; reduce it with sum() or mean(), or use vjp for non-scalar outputs`,
      );
    }
    const gs = pb(ones([], value.dtype));
    const g = typeof argnums === 'number' ? gs[0] : gs;
    return [opts.hasAux ? [value, aux] : value, g];
  };
}

/**
 * Turns a scalar-valued `f` into a function returning the gradient with respect to argument 0
 * (or `argnums`), as a tree of the same type as that argument. With `hasAux`, `f` returns
 * `[loss, aux]` and the result is `[grads, aux]`.
 *
 * @example grad((p: { w: Tensor }) => sum(square(p.w)))({ w })   // { w: 2w }
 * @throws ShapeError when `f` does not return a 0-d tensor (use sum/mean, or vjp);
 *   DTypeError when a differentiated leaf is not a float tensor; ValueError for bad argnums.
 */
export function grad<A extends readonly unknown[]>(f: (...args: A) => Tensor): (...args: A) => A[0];
export function grad<A extends readonly unknown[], const N extends number | readonly number[]>(
  f: (...args: A) => Tensor,
  opts: GradOptions<N> & { hasAux?: false },
): (...args: A) => Picked<A, N>;
export function grad<A extends readonly unknown[], Aux, const N extends number | readonly number[] = 0>(
  f: (...args: A) => readonly [Tensor, Aux],
  opts: GradOptions<N> & { hasAux: true },
): (...args: A) => [Picked<A, N>, Aux];
export function grad(f: (...args: unknown[]) => unknown, opts: GradOptions = {}): (...args: unknown[]) => unknown {
  const vg = valueAndGradImpl(f, opts, 'grad');
  return (...args) => {
    const [v, g] = vg(...args);
    return opts.hasAux ? [g, (v as [Tensor, unknown])[1]] : g;
  };
}

/**
 * Like `grad`, but returns `[value, grads]` from one forward pass (`[[value, aux], grads]` with
 * `hasAux`). The value is a 0-d tensor.
 * @throws as `grad`.
 */
export function valueAndGrad<A extends readonly unknown[]>(f: (...args: A) => Tensor): (...args: A) => [Tensor, A[0]];
export function valueAndGrad<A extends readonly unknown[], const N extends number | readonly number[]>(
  f: (...args: A) => Tensor,
  opts: GradOptions<N> & { hasAux?: false },
): (...args: A) => [Tensor, Picked<A, N>];
export function valueAndGrad<A extends readonly unknown[], Aux, const N extends number | readonly number[] = 0>(
  f: (...args: A) => readonly [Tensor, Aux],
  opts: GradOptions<N> & { hasAux: true },
): (...args: A) => [[Tensor, Aux], Picked<A, N>];
export function valueAndGrad(
  f: (...args: unknown[]) => unknown,
  opts: GradOptions = {},
): (...args: unknown[]) => [unknown, unknown] {
  return valueAndGradImpl(f, opts, 'valueAndGrad');
}

/**
 * Hessian-vector product of a scalar `f` at `x` along `v` (trees of the same structure), by
 * differentiating ⟨∇f(x), v⟩: reverse over reverse.
 * @throws as `grad`; TreeStructureError when x and v differ in structure; ShapeError when a leaf
 *   of v differs in shape or dtype from x's.
 */
export function hvp<T>(f: (x: T) => Tensor, x: T, v: T): T {
  assertSameStructure(x, v, 'hvp');
  const xl = flatten(x).leaves;
  const vl = flatten(v).leaves as Tensor[];
  const vp = paths(v);
  vl.forEach((vi, i) => {
    const xi = xl[i];
    if (xi instanceof Tensor && (!(vi instanceof Tensor) || !shapesEqual(vi.shape, xi.shape) || vi.dtype !== xi.dtype)) {
      const got = vi instanceof Tensor ? `${vi.dtype}${fmtShape(vi.shape)}` : typeof vi;
      throw new ShapeError('hvp', `v's leaf at '${vp[i]}' must be ${xi.dtype}${fmtShape(xi.shape)} like x's, got ${got}`);
    }
  });
  const g = grad(f);
  return grad((y: T) => {
    const gl = flatten(g(y)).leaves as Tensor[];
    return gl.reduce<Tensor>((acc, gi, i) => add(acc, sum(mul(gi, vl[i]!))), zeros([], gl[0]?.dtype ?? 'float32'));
  })(x);
}

/** What a custom backward rule receives besides the output cotangent. */
export interface CustomVjpContext<A extends readonly Tensor[]> {
  readonly inputs: A;
  readonly output: Tensor;
}

/**
 * Wraps `f` (tensors in, one tensor out) so that differentiation uses `backward` instead of
 * differentiating f's internals: `backward(g, { inputs, output })` returns one cotangent per input
 * (null for none), each broadcastable to its input's shape. Write `backward` with Fluxion ops to
 * keep higher-order derivatives working.
 * @throws FluxionError at differentiation time when backward returns the wrong number of
 *   cotangents or a cotangent that does not fit its input.
 */
export function customVjp<A extends readonly Tensor[]>(
  f: (...inputs: A) => Tensor,
  backward: (g: Tensor, ctx: CustomVjpContext<A>) => readonly (Tensor | null)[],
): (...inputs: A) => Tensor {
  return (...inputs: A): Tensor => {
    const y = withoutRecording(() => f(...inputs));
    if (!(y instanceof Tensor)) throw new DTypeError('customVjp', `the function must return a Tensor, got ${typeof y}`);
    let out: Tensor;
    const nodes = nodesFor(inputs, y.shape, y.dtype, (g) => {
      const gs = backward(g, { inputs, output: out });
      if (!Array.isArray(gs) || gs.length !== inputs.length) {
        throw new FluxionError('customVjp', `backward must return ${inputs.length} cotangents (one per input), got ${Array.isArray(gs) ? gs.length : typeof gs}`);
      }
      return gs.map((gi, i) => {
        if (gi === null) return null;
        const x = inputs[i]!;
        // The cotangent is summed down to x's shape, so x must broadcast to it (same-size but
        // differently shaped cotangents would otherwise be silently reshaped).
        const lead = gi instanceof Tensor ? gi.ndim - x.ndim : -1;
        if (!(gi instanceof Tensor) || gi.dtype !== x.dtype || lead < 0 || x.shape.some((d, j) => d !== 1 && d !== gi.shape[lead + j])) {
          const got = gi instanceof Tensor ? `${gi.dtype}${fmtShape(gi.shape)}` : typeof gi;
          throw new FluxionError('customVjp', `cotangent ${i} must be a ${x.dtype} tensor shaped like ${fmtShape(x.shape)}, got ${got}`);
        }
        return gi;
      });
    });
    if (nodes === null) return y;
    out = rewrapped(y, new Tensor(y.shape, y.dtype, y._data, nodes));
    return out;
  };
}
