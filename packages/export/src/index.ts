/**
 * @fluxion/export: a trained model as dependency-free code. `exportModel(predict, params, options)`
 * traces `predict(params, x)` and prints it as one self-contained ES module or one C99 file, with
 * the weights inlined exactly, that reproduces Fluxion's float32 predictions for any batch size.
 * Browser-safe; `@fluxion/export/node` adds helpers that write the files and run them.
 */
import type { Tensor } from '@fluxion/core';
import { emitC, emitJs } from './codegen.js';
import { ExportError } from './errors.js';
import { lower, type Program } from './lower.js';

export { ExportError, UnsupportedOpError } from './errors.js';
export { SUPPORTED as supportedPrimitives, type Program, type Step, type Weight, type CodeDType } from './lower.js';

/** Options of {@link exportModel}. */
export interface ExportOptions {
  /**
   * Shape of the model input `[batch, ...features]`, e.g. `[100, 1]`. Axis 0 is the batch axis
   * and is symbolic: its value is only an example (any positive integer, or -1), the exported
   * function takes any batch size.
   */
  readonly inputShape: readonly number[];
  /** `'js'`: an ES module with no imports; `'c'`: a C99 file that needs only math.h. */
  readonly format: 'js' | 'c';
  /** Name of the exported function (a C and JS identifier); default `'predict'`. */
  readonly name?: string;
}

const RESERVED = new Set(
  ('break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'import in instanceof new null return super switch this throw true try typeof var void while with yield let static ' +
    'await implements interface package private protected public arguments eval ' +
    'auto char double extern float goto inline int long register restrict short signed sizeof struct typedef union unsigned ' +
    'volatile main size_t NAN INFINITY exp log sqrt fabs sin cos tanh log1p pow ' +
    'inputShape outputShape x y batch r xr yr xo yo i j p s t acc v')
    .split(' '),
);

function checkName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || RESERVED.has(name) || name.startsWith('$')) {
    throw new ExportError(
      'exportModel',
      `name must be an identifier valid in both C and JavaScript (letters, digits, _; not a keyword), got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/**
 * Traces `predict(params, x)` and returns it as source code: with `format: 'js'` an ES module
 * exporting `name(x: Float32Array): Float32Array` (and `default`), with `format: 'c'` a C99 file
 * defining `void name(const float *x, float *y, size_t batch)`. Both take any batch size: x holds
 * batch × (size of one example) floats, row-major. The parameters are traced as inputs and their
 * values inlined as exact float32 weights; ops that depend on the parameters only are computed
 * once, now. The code does Fluxion's arithmetic (double per op, float32 on store, double
 * accumulation in matmuls and sums), so its predictions equal Fluxion's up to the last bit of the
 * platform's exp/log/tanh.
 *
 * How any batch size works: the model is traced with batch sizes 2 and 3, the two graphs must
 * differ only in the batch size, and every op on batch-dependent values must compute each example
 * from itself alone (elementwise ops, matmuls with examples as rows, reductions over other axes).
 * The code then runs the per-example graph in a loop over the batch.
 *
 * @example
 * const src = exportModel(predict, params, { inputShape: [100, 1], format: 'c', name: 'exp_fit' });
 * @throws UnsupportedOpError naming a primitive the generators lack; ExportError for a model that
 *   is not batch-polymorphic, mixes examples or returns something other than one float32 tensor
 *   [N, ...], and for bad options; the trace's errors (TracerError naming the op that read values).
 */
export function exportModel<P>(predict: (params: P, x: Tensor) => Tensor, params: P, options: ExportOptions): string {
  if (options === null || typeof options !== 'object') throw new ExportError('exportModel', 'options { inputShape, format } are required');
  const name = checkName(options.name ?? 'predict');
  const format = options.format;
  if (format !== 'js' && format !== 'c') throw new ExportError('exportModel', `format must be 'js' or 'c', got ${JSON.stringify(format)}`);
  const program = lower(predict, params, options.inputShape);
  return format === 'js' ? emitJs(program, name) : emitC(program, name);
}

/**
 * The per-example program `exportModel` prints (weights, ops, shapes), for inspection or for
 * other code generators.
 * @throws as `exportModel`.
 */
export function lowerModel<P>(predict: (params: P, x: Tensor) => Tensor, params: P, inputShape: readonly number[]): Program {
  return lower(predict, params, inputShape);
}
