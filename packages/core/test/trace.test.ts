/**
 * trace / evaluate: the graphs of the seed MLP and of softmax classifiers (structure and printing),
 * evaluate equal to running the function directly bit for bit, constants, a traced training step,
 * and clear errors for untraceable functions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  FluxionError,
  ShapeError,
  Tensor,
  TracerError,
  TreeStructureError,
  add,
  evaluate,
  exp,
  grad,
  leakyRelu,
  logSoftmax,
  matmul,
  max,
  mean,
  mul,
  random,
  reshape,
  softmax,
  square,
  sub,
  sum,
  tanh,
  tensor,
  trace,
  transpose,
  tree,
  valueAndGrad,
  where,
  greater,
  zeros,
  type Graph,
} from '@fluxion/core';
import { tensorOf } from '@fluxion/core/testing';
import { linear, mlp, type LinearParams } from '@fluxion/nn';

type Mlp = { l1: LinearParams; l2: LinearParams; l3: LinearParams };
const seed = (p: Mlp, x: Tensor): Tensor => leakyRelu(linear(p.l3, leakyRelu(linear(p.l2, leakyRelu(linear(p.l1, x))))));
const params = (key = 0): Mlp => {
  const p = mlp.init(random.key(key), [1, 16, 32, 1]) as Mlp;
  // Non-zero biases, so that they matter.
  return tree.map(p, (t: Tensor, path) => (path.endsWith('/b') ? random.normal(random.key(key + path.length), t.shape) : t)) as Mlp;
};

/** The bytes of a tensor's data, to compare bit for bit (NaNs included). */
const bits = (t: Tensor): number[] => Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
const expectSameBits = (a: Tensor, b: Tensor): void => {
  expect(a.shape).toEqual(b.shape);
  expect(a.dtype).toBe(b.dtype);
  expect(bits(a)).toEqual(bits(b));
};
const ops = (g: Graph): string[] => g.nodes.map((n) => n.primitive);

describe('trace: graph structure', () => {
  it('records the seed MLP: inputs with paths, one line per op with shapes', () => {
    const g = trace(seed, params(), zeros([100, 1]));
    expect(g.inputs.map((i) => [i.arg, i.path, i.shape])).toEqual([
      [0, 'l1/W', [16, 1]],
      [0, 'l1/b', [16]],
      [0, 'l2/W', [32, 16]],
      [0, 'l2/b', [32]],
      [0, 'l3/W', [1, 32]],
      [0, 'l3/b', [1]],
      [1, '', [100, 1]],
    ]);
    // linear is matmul (W read transposed, maybe with a fused bias, maybe a transpose and an add).
    expect(ops(g).filter((o) => o !== 'transpose' && o !== 'add')).toEqual(['matmul', 'leakyRelu', 'matmul', 'leakyRelu', 'matmul', 'leakyRelu']);
    const shapes = g.nodes.filter((n) => n.primitive === 'leakyRelu').map((n) => n.shape);
    expect(shapes).toEqual([
      [100, 16],
      [100, 32],
      [100, 1],
    ]);
    expect(g.nodes.filter((n) => n.primitive === 'leakyRelu').every((n) => (n.attrs as { slope: number }).slope === 0.2)).toBe(true);
    expect(g.constants).toEqual([]);
    expect(g.outputs).toEqual([g.nodes[g.nodes.length - 1]!.id]);
    expect(g.nodes.every((n) => n.dtype === 'float32')).toBe(true);

    const text = String(g);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`graph(7 inputs, 0 constants, ${g.nodes.length} ops) {`);
    expect(lines).toHaveLength(1 + 7 + g.nodes.length + 2);
    expect(lines[1]).toBe('  %0: float32[16, 1] = input 0/l1/W');
    expect(lines[7]).toBe('  %6: float32[100, 1] = input 1');
    expect(text).toMatch(/ {2}%\d+: float32\[100, 16\] = matmul %6 %0 .*\{ta: false, tb: true\}/);
    expect(text).toContain('= leakyRelu %');
    expect(text).toContain('{slope: 0.2}');
    expect(lines[lines.length - 2]).toBe(`  return %${g.outputs[0]}`);
    expect(lines[lines.length - 1]).toBe('}');
  });

  it('records a softmax classifier as the primitives softmax is made of', () => {
    const p = mlp.init(random.key(1), [4, 8, 3]);
    const g = trace((q: typeof p, x: Tensor) => softmax(mlp(q, x, { finalActivation: null })), p, zeros([5, 4]));
    const tail = ops(g).slice(ops(g).lastIndexOf('max'));
    expect(tail).toEqual(['max', 'stopGradient', 'sub', 'exp', 'sum', 'div']);
    const mx = g.nodes.find((n) => n.primitive === 'max')!;
    expect(mx.shape).toEqual([5, 1]);
    expect(mx.attrs).toEqual({ axes: [1], keepdims: true });
    expect(g.value(g.outputs[0]!).shape).toEqual([5, 3]);
    expect(String(g)).toContain('float32[5, 1] = max %');

    const gl = trace((x: Tensor) => logSoftmax(x), zeros([5, 3]));
    expect(ops(gl)).toEqual(['max', 'stopGradient', 'equal', 'where', 'sub', 'exp', 'sum', 'log', 'add', 'sub']);
    expect(gl.nodes.find((n) => n.primitive === 'equal')!.dtype).toBe('bool');
    // The scalars softmax compares and shifts with are constants: -inf and 0.
    expect(gl.constants.map((c) => c.value.item())).toEqual([-Infinity, 0]);
    expect(String(gl)).toContain('= constant -inf');
  });

  it('keeps closed-over tensors and tensors created inside f as constants; folds ops on constants only', () => {
    const scale = tensor([2, 3]);
    const g = trace((x: Tensor) => add(mul(x, scale), add(zeros([2]), 1)), zeros([4, 2]));
    expect(ops(g)).toEqual(['mul', 'add']);
    expect(g.constants).toHaveLength(2);
    expect(g.constants[0]!.value).toBe(scale);
    expect(Array.from(g.constants[1]!.value.data)).toEqual([1, 1]);
    expect(String(g)).toContain('= constant [2. 3.]');
  });

  it('passes non-tensor leaves through as static values and takes trees in and out', () => {
    const f = (inp: { x: Tensor; opts: { slope: number } }): { y: Tensor; s: Tensor[] } => {
      const y = leakyRelu(inp.x, inp.opts.slope);
      return { y, s: [sum(y)] };
    };
    const g = trace(f, { x: zeros([3]), opts: { slope: 0.5 } });
    expect(g.inputs.map((i) => i.path)).toEqual(['x']);
    expect(g.nodes[0]!.attrs).toEqual({ slope: 0.5 });
    expect(String(g.outTree)).toBe('TreeDef({s: [*], y: *})');
    const x = tensor([-2, 0, 4]);
    const r = evaluate(g, { x, opts: { slope: 0.5 } });
    expect(Array.from(r.y.data)).toEqual([-1, 0, 4]);
    expect(r.s[0]!.item()).toBe(3);
  });

  it('returns an immutable graph', () => {
    const g = trace((x: Tensor) => transpose(reshape(x, [2, 3])), zeros([6]));
    expect(Object.isFrozen(g)).toBe(true);
    expect(Object.isFrozen(g.nodes)).toBe(true);
    expect(Object.isFrozen(g.nodes[0])).toBe(true);
    expect(Object.isFrozen((g.nodes[0]!.attrs as { shape: number[] }).shape)).toBe(true);
    expect(Object.isFrozen(g.inputs[0]!.shape)).toBe(true);
    expect(() => g.value(99)).toThrow(FluxionError);
  });
});

describe('evaluate', () => {
  it('equals the seed MLP run directly, bit for bit, on random inputs', () => {
    const p = params(3);
    const g = trace(seed, p, zeros([7, 1]));
    fc.assert(
      fc.property(tensorOf([7, 1], { dtype: 'float32', min: -3, max: 3 }), (x) => {
        expectSameBits(evaluate(g, p, x), seed(p, x));
      }),
      { numRuns: 50 },
    );
  });

  it('equals classifiers and broadcasting/reduction code run directly, bit for bit', () => {
    const p = mlp.init(random.key(2), [4, 8, 3]);
    const clf = (q: typeof p, x: Tensor): [Tensor, Tensor] => {
      const z = mlp(q, x, { activation: tanh, finalActivation: null });
      return [softmax(z), logSoftmax(z)];
    };
    const odd = (x: Tensor, y: Tensor): Tensor =>
      where(greater(x, y), exp(sub(x, max(x, -1, true))), mean(square(matmul(x, transpose(y))), 0, true));
    const gc = trace(clf, p, zeros([6, 4]));
    const go = trace(odd, zeros([3, 3]), zeros([3, 3]));
    fc.assert(
      fc.property(
        tensorOf([6, 4], { dtype: 'float32', min: -4, max: 4 }),
        tensorOf([3, 3], { dtype: 'float32' }),
        tensorOf([3, 3], { dtype: 'float32' }),
        (x, a, b) => {
          const [s1, l1] = evaluate(gc, p, x);
          const [s2, l2] = clf(p, x);
          expectSameBits(s1, s2);
          expectSameBits(l1, l2);
          expectSameBits(evaluate(go, a, b), odd(a, b));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('is differentiable and traceable like the function itself', () => {
    const p = params(4);
    const g = trace(seed, p, zeros([5, 1]));
    const x = random.uniform(random.key(9), [5, 1]);
    const loss1 = (q: Mlp): Tensor => mean(square(seed(q, x)));
    const loss2 = (q: Mlp): Tensor => mean(square(evaluate(g, q, x)));
    tree.zipWith(grad(loss1)(p), grad(loss2)(p), (a: Tensor, b: Tensor) => expectSameBits(a, b));
    // A graph evaluated inside a trace is inlined: the same ops again.
    const again = trace((q: Mlp, y: Tensor) => evaluate(g, q, y), p, zeros([5, 1]));
    expect(ops(again)).toEqual(ops(g));
  });

  it('checks the arguments against the traced shapes, dtypes and structure', () => {
    const p = params();
    const g = trace(seed, p, zeros([4, 1]));
    expect(() => evaluate(g, p, zeros([5, 1]))).toThrow(ShapeError);
    expect(() => evaluate(g, p, zeros([5, 1]))).toThrow("evaluate: argument 1 must be float32[4, 1], got float32[5, 1]");
    expect(() => evaluate(g, p, zeros([4, 1], 'float64'))).toThrow(DTypeError);
    const { l3: _drop, ...fewer } = p;
    expect(() => evaluate(g as unknown as Graph<[unknown, Tensor]>, fewer, zeros([4, 1]))).toThrow(TreeStructureError);
    const bad = { ...p, l1: { ...p.l1, W: zeros([16, 2]) } };
    expect(() => evaluate(g, bad, zeros([4, 1]))).toThrow("the leaf 'l1/W' of argument 0 must be float32[16, 1]");
  });
});

describe('tracing under grad: a training step as one graph', () => {
  it('records forward and backward, and evaluates to the same step bit for bit', () => {
    const step = (p: Mlp, x: Tensor, t: Tensor): [Tensor, Mlp] => {
      const [l, g] = valueAndGrad((q: Mlp) => mean(square(sub(seed(q, x), t))))(p);
      return [l, tree.zipWith(p, g, (w: Tensor, d: Tensor) => sub(w, mul(d, 0.01))) as Mlp];
    };
    const p = params(5);
    const g = trace(step, p, zeros([8, 1]), zeros([8, 1]));
    expect(g.outputs).toHaveLength(7);
    // The backward pass is in the graph: matmuls with transposed operands for the weight gradients.
    expect(ops(g).filter((o) => o === 'matmul').length).toBeGreaterThanOrEqual(3 + 5);
    fc.assert(
      fc.property(tensorOf([8, 1], { dtype: 'float32', min: 0, max: 1 }), (x) => {
        const t = exp(x);
        const [l1, p1] = step(p, x, t);
        const [l2, p2] = evaluate(g, p, x, t);
        expectSameBits(l1, l2);
        tree.zipWith(p1, p2, (a: Tensor, b: Tensor) => expectSameBits(a, b));
      }),
      { numRuns: 10 },
    );
  });
});

describe('untraceable functions fail with a clear error naming the op', () => {
  it('item(), .data and toArray() on a traced tensor', () => {
    const branchy = (x: Tensor): Tensor => (sum(x).item() > 0 ? x : mul(x, -1));
    expect(() => trace(branchy, zeros([100, 1]))).toThrow(TracerError);
    expect(() => trace(branchy, zeros([100, 1]))).toThrow(
      /^item: cannot read the values of an abstract tensor float32\[\] while tracing; trace\(\) records ops on shapes and dtypes only/,
    );
    expect(() => trace((x: Tensor) => (x.item() > 0 ? x : x), zeros([100, 1]))).toThrow(
      'item: cannot read the values of an abstract tensor float32[100, 1] while tracing',
    );
    expect(() => trace((x: Tensor) => tensor(Array.from(x.data)), zeros([3]))).toThrow(/^data: .*must not read tensor values/);
    expect(() => trace((x: Tensor) => tensor(x.toArray() as number[]), zeros([3]))).toThrow(/^toArray: /);
  });

  it('a traced value leaked out of its trace, or a non-tensor result', () => {
    let leaked: Tensor | null = null;
    trace((x: Tensor) => (leaked = exp(x)), zeros([2]));
    expect(() => trace((x: Tensor) => add(x, leaked!), zeros([2]))).toThrow(/^add: got an abstract tensor float32\[2\] that does not belong to this trace/);
    expect(() => add(leaked!, 1)).toThrow('add: got an abstract tensor outside of trace()');
    expect(() => trace((x: Tensor) => [x, 3] as unknown as Tensor[], zeros([2]))).toThrow(
      "trace: the function returned at '1' a non-tensor leaf (number)",
    );
    expect(() => trace(42 as unknown as () => Tensor)).toThrow('trace: the first argument must be a function');
  });

  it('shape errors are the eager ones, thrown while tracing', () => {
    expect(() => trace((x: Tensor) => matmul(x, zeros([3, 2])), zeros([4, 2]))).toThrow(ShapeError);
  });
});
