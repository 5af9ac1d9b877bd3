/**
 * What exportModel accepts and refuses: batch polymorphism (traced at two batch sizes), models
 * that mix examples, unsupported primitives (refused with their name), ops on parameters only
 * (computed at export), and bad options.
 */
import { describe, expect, it } from 'vitest';
import {
  Tensor,
  TracerError,
  add,
  argmax,
  concat,
  exp,
  matmul,
  mean,
  mul,
  reshape,
  slice,
  sub,
  sum,
  take,
  tensor,
  transpose,
  zeros,
} from '@fluxion/core';
import { ExportError, UnsupportedOpError, exportModel, lowerModel, supportedPrimitives } from '@fluxion/export';
import { importModule } from '@fluxion/export/node';
import { CASES, seed, seedParams, sink, sinkParams } from './helpers.js';

const js = (predict: (p: never, x: Tensor) => Tensor, params: unknown, inputShape: number[]): string =>
  exportModel(predict, params as never, { inputShape, format: 'js' });

describe('the per-example program', () => {
  it('the seed MLP: six weights, three matmuls (fused bias) and three leakyRelus, per example', () => {
    const p = lowerModel(seed, seedParams(0), [100, 1]);
    expect([...p.weights.values()].map((w) => [w.name, w.label, w.shape])).toEqual([
      ['l1_W', 'l1/W', [16, 1]],
      ['l1_b', 'l1/b', [16]],
      ['l2_W', 'l2/W', [32, 16]],
      ['l2_b', 'l2/b', [32]],
      ['l3_W', 'l3/W', [1, 32]],
      ['l3_b', 'l3/b', [1]],
    ]);
    expect(p.steps.map((s) => s.primitive).filter((o) => o !== 'add' && o !== 'transpose')).toEqual([
      'matmul',
      'leakyRelu',
      'matmul',
      'leakyRelu',
      'matmul',
      'leakyRelu',
    ]);
    // Shapes for one example: the batch axis is 1; the comments show it as N.
    expect(p.steps[0]!.shape).toEqual([1, 16]);
    expect(p.steps[0]!.text).toMatch(/^%7: float32\[N, 16\] = matmul %6 l1\/W/);
    expect([p.inputShape, p.outputShape, p.inputSize, p.outputSize]).toEqual([[1], [1], 1, 1]);
  });

  it('the test model covers every supported primitive', () => {
    const p = lowerModel(sink, sinkParams(0), [1, 2, 3]);
    expect(new Set(p.steps.map((s) => s.primitive))).toEqual(new Set(supportedPrimitives));
  });

  it('computes ops on parameters only at export time, whatever they are (and drops unused ops)', async () => {
    const params = { a: tensor([[1, 2]]), b: tensor([[3, 4]]) };
    const predict = (q: typeof params, x: Tensor): Tensor => {
      exp(x); // computed and dropped
      return matmul(x, transpose(concat([q.a, q.b], 0))); // concat and transpose on weights only
    };
    const p = lowerModel(predict, params, [1, 2]);
    expect(p.steps.map((s) => s.primitive)).toEqual(['matmul']);
    const w = [...p.weights.values()];
    expect(w.map((x) => [x.name, x.shape, Array.from(x.data)])).toEqual([[w[0]!.name, [2, 2], [1, 3, 2, 4]]]);
    expect(w[0]!.label).toMatch(/^%\d+ = transpose\(%\d+ = concat\(a, b\)\)$/);
    const m = await importModule(js(predict, params, [1, 2]));
    expect(Array.from(m.default(new Float32Array([1, 1, 2, 0])))).toEqual([3, 7, 2, 6]);
  });

  it('handles models that reshape the batch axis along, or broadcast weights over it', async () => {
    const predict = (_: null, x: Tensor): Tensor => reshape(sum(reshape(x, [x.shape[0]!, 2, 3]), 1), [-1, 3]);
    const m = await importModule(js(predict, null, [4, 6]));
    expect(Array.from(m.default(new Float32Array([1, 2, 3, 4, 5, 6, 0, 0, 0, 1, 1, 1])))).toEqual([5, 7, 9, 1, 1, 1]);
    // One number per example: x of shape [N].
    const v = await importModule(js((_: null, x: Tensor) => mul(x, 3), null, [-1]));
    expect(v.inputShape).toEqual([-1]);
    expect(Array.from(v.default(new Float32Array([1, -2, 0.5])))).toEqual([3, -6, 1.5]);
  });
});

describe('refused models', () => {
  it('an unsupported primitive on per-example values, by name', () => {
    const cases: [string, (p: null, x: Tensor) => Tensor][] = [
      ['concat', (_, x) => concat([x, x], 1)],
      ['slice', (_, x) => slice(x, [null, 0], [null, 1])],
      ['take', (_, x) => take(x, [0, 0], 1)],
      ['argmax', (_, x) => argmax(x, 1)],
    ];
    for (const [name, predict] of cases) {
      let err: unknown;
      try {
        js(predict, null, [2, 3]);
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(UnsupportedOpError);
      expect((err as UnsupportedOpError).primitive).toBe(name);
      expect((err as Error).message).toMatch(new RegExp(`^exportModel: the primitive '${name}' is not supported by the code generators`));
    }
  });

  it('models that are not batch-polymorphic or mix examples', () => {
    const refuse = (predict: (p: null, x: Tensor) => Tensor, message: RegExp): void => {
      expect(() => js(predict, null, [5, 3])).toThrow(ExportError);
      expect(() => js(predict, null, [5, 3])).toThrow(message);
    };
    // Statistics over the batch.
    refuse((_, x) => sub(x, mean(x, 0, true)), /sum .*does not keep the batch axis N as axis 0; the exported code computes each example/);
    // Examples as the contracted axis of a matmul.
    refuse((_, x) => matmul(transpose(x), x), /transpose .*does not keep the batch axis/);
    // The batch size folded into another axis.
    refuse((_, x) => reshape(x, [1, -1]), /not batch-polymorphic: traced with batch sizes 2 and 3, the graphs differ at %1 = reshape/);
    // JS control flow on the batch size.
    refuse((_, x) => (x.shape[0]! > 2 ? exp(x) : x), /not batch-polymorphic: .*it records 0 and 1 ops/);
    // A number computed from the batch size.
    refuse((_, x) => mul(x, x.shape[0]!), /the constant %\d+ \(used by the per-example ops\) has different values/);
    // A constant shaped by the batch.
    refuse((_, x) => add(x, zeros([x.shape[0]!, 3])), /the constant %\d+ of shape \[N, 3\] depends on the batch size/);
    // Results without the batch axis first, or not one tensor.
    refuse((_, x) => sum(x), /does not keep the batch axis/);
    refuse((_, x) => [x, x] as unknown as Tensor, /predict must return one Tensor, got the structure TreeDef\(\[\*, \*\]\)/);
  });

  it('models that read values', () => {
    expect(() => js((_, x) => (sum(x).item() > 0 ? x : exp(x)), null, [5, 3])).toThrow(TracerError);
    expect(() => js((_, x) => (sum(x).item() > 0 ? x : exp(x)), null, [5, 3])).toThrow(/^item: cannot read the values of an abstract tensor/);
  });

  it('bad options', () => {
    const c = CASES[0]!;
    const ex = (o: object): string => exportModel(c.predict, c.params as never, { inputShape: [1, 1], format: 'js', ...o });
    expect(() => ex({ name: 'my-model' })).toThrow(/name must be an identifier valid in both C and JavaScript/);
    expect(() => ex({ name: 'double' })).toThrow(ExportError);
    for (const name of ['x', 'exp', 'inputShape', 'size_t', '$f']) expect(() => ex({ name }), name).toThrow(ExportError);
    expect(() => ex({ format: 'py' })).toThrow(`exportModel: format must be 'js' or 'c', got "py"`);
    expect(() => ex({ inputShape: [] })).toThrow(/inputShape must be \[batch, \.\.\.features\]/);
    expect(() => ex({ inputShape: [0, 1] })).toThrow(/inputShape\[0\] is the batch axis/);
    expect(() => ex({ inputShape: [1, 1.5] })).toThrow('exportModel: inputShape[1] must be a positive integer, got 1.5');
    expect(ex({ inputShape: [-1, 1], name: 'ok_name' })).toContain('export function ok_name(x)');
  });
});
