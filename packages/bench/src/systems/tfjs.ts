/**
 * TensorFlow.js, on its pure-JS 'cpu' backend and on the 'wasm' backend (XNNPACK, SIMD), driven as
 * its guides show: tf.variable params, the model as tf ops, `optimizer.minimize(() => loss, true,
 * varList)` inside `tf.tidy`, `dataSync()` to read the loss. The dense layer is
 * `tf.fused.matMul({ a, b, bias, activation })`, what tf.layers.dense itself calls (leakyRelu is
 * applied as its own op: fused matMul has no gradient for it; relu is fused). Adam is
 * `tf.train.adam(lr, β1, β2, 1e-8)` (its default eps is 1e-7).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { MlpInit, Setup, System, W1Run, W1Spec, W3Run, W3Spec, W4Run, W4Spec } from '../types.js';
import { w1Losses } from '../types.js';
import { timeLoop } from '../timing.js';
import { transposed } from '../workloads.js';
import { packageDir, packageVersion } from '../versions.js';

type Tf = typeof import('@tensorflow/tfjs');
type T2 = import('@tensorflow/tfjs').Tensor2D;
type Var = import('@tensorflow/tfjs').Variable;

const WASM_BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** Sets up both tfjs systems; each may be unavailable on its own. */
export async function tfjsSystems(): Promise<Setup[]> {
  let tf: Tf;
  try {
    tf = await import('@tensorflow/tfjs');
  } catch (e) {
    const reason = `cannot import @tensorflow/tfjs: ${(e as Error).message}`;
    return [
      { id: 'tfjs-cpu', label: 'tfjs cpu', reason },
      { id: 'tfjs-wasm', label: 'tfjs wasm', reason },
    ];
  }
  // Production mode only silences tfjs's console warnings (e.g. "install tfjs-node") in 4.x.
  tf.enableProdMode();
  const version = `@tensorflow/tfjs ${packageVersion('@tensorflow/tfjs')}`;
  const out: Setup[] = [];

  // ---- cpu
  try {
    if (!(await tf.setBackend('cpu'))) throw new Error("tf.setBackend('cpu') returned false");
    out.push(makeSystem(tf, 'cpu', 'tfjs-cpu', 'tfjs cpu', version, ['backend cpu: pure JavaScript kernels, single-threaded']));
  } catch (e) {
    out.push({ id: 'tfjs-cpu', label: 'tfjs cpu', reason: `cpu backend failed: ${(e as Error).message}` });
  }

  // ---- wasm
  const wasm = await setUpWasm(tf);
  if ('reason' in wasm) out.push({ id: 'tfjs-wasm', label: 'tfjs wasm', reason: wasm.reason });
  else out.push(makeSystem(tf, 'wasm', 'tfjs-wasm', 'tfjs wasm', `${version}, @tensorflow/tfjs-backend-wasm ${wasm.version}`, wasm.notes));
  return out;
}

/**
 * Points the wasm backend at the binaries inside its npm package (setWasmPaths with the dist
 * folder) and checks which binary it really instantiated, by the byte length of the module it
 * compiled against the three files on disk.
 */
async function setUpWasm(tf: Tf): Promise<{ version: string; notes: string[] } | { reason: string }> {
  let wasmPkg: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasmPkg = await import('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    return { reason: `cannot import @tensorflow/tfjs-backend-wasm: ${(e as Error).message}` };
  }
  const dist = join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist');
  const sizes = new Map<number, string>();
  for (const f of WASM_BINARIES) {
    try {
      sizes.set(statSync(join(dist, f)).size, f);
    } catch {
      // a missing binary shows up as "unknown" below
    }
  }
  wasmPkg.setWasmPaths(dist + '/');
  const seen: number[] = [];
  // No DOM lib here: reach WebAssembly through globalThis, typed as much as this needs.
  type Instantiate = (this: unknown, source: unknown, imports?: unknown) => Promise<unknown>;
  const wa = (globalThis as unknown as { WebAssembly: { instantiate: Instantiate } }).WebAssembly;
  const original = wa.instantiate;
  wa.instantiate = function (this: unknown, source: unknown, imports?: unknown) {
    if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) seen.push((source as ArrayBuffer).byteLength);
    return original.call(this, source, imports);
  };
  let ok: boolean;
  try {
    ok = await tf.setBackend('wasm');
  } catch (e) {
    return { reason: `wasm backend failed to initialise from ${dist}: ${(e as Error).message ?? String(e)}` };
  } finally {
    wa.instantiate = original;
  }
  if (!ok) return { reason: `tf.setBackend('wasm') returned false (binaries looked for in ${dist})` };
  const simdFlag = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threadsFlag = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const loaded = seen.map((n) => sizes.get(n) ?? `unknown module of ${n} bytes`);
  const simd = loaded.includes('tfjs-backend-wasm-simd.wasm') || loaded.includes('tfjs-backend-wasm-threaded-simd.wasm');
  const threads = wasmPkg.getThreadsCount();
  return {
    version: packageVersion('@tensorflow/tfjs-backend-wasm'),
    notes: [
      `SIMD ${simd ? 'ACTIVE' : 'NOT ACTIVE'}: instantiated ${loaded.join(', ') || 'nothing seen'} (WASM_HAS_SIMD_SUPPORT=${String(simdFlag)}); ` +
        `threads: ${threads} (WASM_HAS_MULTITHREAD_SUPPORT=${String(threadsFlag)}; tfjs turns threads off in Node)`,
      `binaries from setWasmPaths('${dist}/')`,
    ],
  };
}

function makeSystem(tf: Tf, backend: 'cpu' | 'wasm', id: string, label: string, version: string, notes: string[]): System {
  const use = async () => {
    if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) throw new Error(`cannot switch to ${backend}`);
  };
  const variables = (init: MlpInit): { W: Var; b: Var }[] =>
    // tidy disposes the initial-value tensors; the variables it returns are kept.
    tf.tidy(() =>
      init.map((l) => ({
        W: tf.variable(tf.tensor2d(transposed(l.W, l.outSize, l.inSize), [l.inSize, l.outSize])),
        b: tf.variable(tf.tensor1d(l.b.slice())),
      })),
    );
  const varList = (vs: { W: Var; b: Var }[]) => vs.flatMap((l) => [l.W, l.b]);
  const dispose = (vs: { W: Var; b: Var }[], opt: { dispose(): void }) => {
    opt.dispose();
    for (const v of varList(vs)) v.dispose();
  };

  const w1 = async (spec: W1Spec): Promise<W1Run> => {
    await use();
    const vs = variables(spec.init);
    const list = varList(vs);
    const { lr, beta1, beta2, eps } = spec.adam;
    const opt = tf.train.adam(lr, beta1, beta2, eps);
    const predict = (x: T2): T2 => {
      let h = x;
      for (const l of vs) h = tf.leakyRelu(tf.fused.matMul({ a: h, b: l.W as T2, bias: l.b }), spec.slope) as T2;
      return h;
    };
    const total = spec.warmup + spec.steps;
    const losses = new Float64Array(total);
    let t0 = performance.now();
    for (let i = 0; i < total; i++) {
      if (i === spec.warmup) t0 = performance.now();
      const l = tf.tidy(() => {
        const x = tf.randomUniform([spec.batch, 1], 0, 1, 'float32', spec.seed * 1_000_003 + i) as T2;
        const t = tf.exp(x);
        // The tfjs guide's loss: predictions.sub(labels).square().mean().
        return opt.minimize(() => predict(x).sub(t).square().mean() as import('@tensorflow/tfjs').Scalar, true, list)!;
      });
      losses[i] = l.dataSync()[0]!;
      l.dispose();
    }
    const us = ((performance.now() - t0) * 1000) / spec.steps;
    dispose(vs, opt);
    return { usPerStep: us, ...w1Losses(losses, spec.warmup) };
  };

  const w3 = async (spec: W3Spec): Promise<W3Run> => {
    await use();
    const vs = variables(spec.init);
    const list = varList(vs);
    const { lr, beta1, beta2, eps } = spec.adam;
    const opt = tf.train.adam(lr, beta1, beta2, eps);
    const x = tf.tensor2d(spec.x, [spec.batch, spec.sizes[0]!]);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d(spec.labels, 'int32'), spec.classes).toFloat());
    const logits = (): T2 => {
      let h = x as T2;
      vs.forEach((l, i) => {
        h = tf.fused.matMul({ a: h, b: l.W as T2, bias: l.b, activation: i < vs.length - 1 ? 'relu' : 'linear' }) as T2;
      });
      return h;
    };
    let first = NaN;
    let last = NaN;
    let t0 = performance.now();
    for (let i = 0; i < spec.warmup + spec.steps; i++) {
      if (i === spec.warmup) t0 = performance.now();
      const l = tf.tidy(() => opt.minimize(() => tf.losses.softmaxCrossEntropy(y, logits()) as import('@tensorflow/tfjs').Scalar, true, list)!);
      last = l.dataSync()[0]!;
      l.dispose();
      if (i === 0) first = last;
    }
    const ms = (performance.now() - t0) / spec.steps;
    dispose(vs, opt);
    x.dispose();
    y.dispose();
    return { msPerStep: ms, finalLoss: last, firstLoss: first };
  };

  const w4 = async (spec: W4Spec): Promise<W4Run> => {
    await use();
    const a = tf.tensor2d(spec.a, [spec.n, spec.n]);
    const b = tf.tensor2d(spec.b, [spec.n, spec.n]);
    // Both backends run kernels synchronously: the product is complete when matMul returns.
    const r = await timeLoop(spec, () => tf.matMul(a, b).dispose());
    a.dispose();
    b.dispose();
    return r;
  };

  return {
    id,
    label,
    version,
    notes: [...notes, 'tf.tidy(() => optimizer.minimize(loss, true, varList)); dense = tf.fused.matMul (as tf.layers.dense); tf.train.adam(lr, β1, β2, 1e-8); loss.dataSync() every step'],
    w1,
    w3,
    w4,
  };
}
