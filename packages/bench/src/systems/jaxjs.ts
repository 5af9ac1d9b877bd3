/**
 * jax-js on its wasm device, driven as its README and API docs show: pure functions of a params
 * tree, `valueAndGrad`, the whole training step under one `jit` (data drawn inside it from a
 * split key, as in JAX), reference-counted arrays (`.ref` where a value is used again), and
 * `blockUntilReady` every step ("recommended … regularly in an iterative computation", its
 * docs). Adam is written out with optax's formulas: @jax-js/optax is not published on npm.
 */
import type { AdamSpec, MlpInit, Setup, System, W1Run, W1Spec, W3Run, W3Spec, W4Run, W4Spec } from '../types.js';
import { w1Losses } from '../types.js';
import { timeLoopAsync } from '../timing.js';
import { transposed } from '../workloads.js';
import { packageVersion } from '../versions.js';

type Jax = typeof import('@jax-js/jax');
type Arr = import('@jax-js/jax').numpy.Array;
type Dense = { W: Arr; b: Arr };
type Params = Dense[];
// Type aliases, not interfaces: jax-js's JsTree needs them (its README says so).
type AdamState = { m: Params; v: Params; count: Arr };

function makeParams(jax: Jax, init: MlpInit): Params {
  const np = jax.numpy;
  return init.map((l) => ({
    W: np.array(transposed(l.W, l.outSize, l.inSize), { shape: [l.inSize, l.outSize] }),
    b: np.array(l.b.slice(), { shape: [l.outSize] }),
  }));
}

function zerosLikeParams(jax: Jax, p: Params): Params {
  const np = jax.numpy;
  return p.map((l) => ({ W: np.zeros(l.W.shape), b: np.zeros(l.b.shape) }));
}

/**
 * optax.adam as a pure function on traced arrays (inside jit): m, v moving averages, bias
 * correction from the step count kept in the state, p ← p − lr·m̂/(√v̂ + eps). Consumes all inputs.
 */
function adamUpdate(jax: Jax, a: AdamSpec, p: Params, g: Params, s: AdamState): { p: Params; s: AdamState } {
  const np = jax.numpy;
  const { tree } = jax;
  const count = s.count.add(1);
  const bc1 = np.exp(count.ref.mul(Math.log(a.beta1))).mul(-1).add(1);
  const bc2 = np.exp(count.ref.mul(Math.log(a.beta2))).mul(-1).add(1);
  const m = tree.map((mi: Arr, gi: Arr) => mi.mul(a.beta1).add(gi.mul(1 - a.beta1)), s.m, tree.ref(g)) as unknown as Params;
  const v = tree.map((vi: Arr, gi: Arr) => vi.mul(a.beta2).add(np.square(gi).mul(1 - a.beta2)), s.v, g) as unknown as Params;
  const p2 = tree.map(
    (pi: Arr, mi: Arr, vi: Arr) => pi.sub(mi.div(bc1.ref).div(np.sqrt(vi.div(bc2.ref)).add(a.eps)).mul(a.lr)),
    p,
    tree.ref(m),
    tree.ref(v),
  ) as unknown as Params;
  bc1.dispose();
  bc2.dispose();
  return { p: p2, s: { m, v, count } };
}

export async function jaxSystems(): Promise<Setup[]> {
  const id = 'jax-js';
  const label = 'jax-js wasm+jit';
  let jax: Jax;
  try {
    jax = await import('@jax-js/jax');
  } catch (e) {
    return [{ id, label, reason: `cannot import @jax-js/jax: ${(e as Error).message}` }];
  }
  const devices = await jax.init('wasm');
  if (!devices.includes('wasm')) return [{ id, label, reason: `jax.init('wasm') returned [${devices.join(', ')}]: no wasm device` }];
  jax.defaultDevice('wasm');
  const { numpy: np, nn, random, tree, jit, valueAndGrad, blockUntilReady } = jax;
  const version = `@jax-js/jax ${packageVersion('@jax-js/jax')}`;
  // jax-js starts a worker pool only where both SharedArrayBuffer and a global Worker exist.
  const threaded = typeof SharedArrayBuffer !== 'undefined' && typeof (globalThis as { Worker?: unknown }).Worker !== 'undefined';
  const notes = [
    `device ${jax.defaultDevice()}; ${threaded ? 'a global Worker exists: jax-js may run a multi-threaded pool' : 'no global Worker in Node: single-threaded wasm'}; its kernel generator emits wasm SIMD (f32x4) where eligible`,
    'one jit(step) per run: random.split + random.uniform, valueAndGrad(loss), optax-style Adam; await blockUntilReady(outputs) then loss.dataSync() every step',
  ];

  /** W1; `block` false reads only the loss each step (no blockUntilReady), the peer's fastest path. */
  const w1 =
    (block: boolean) =>
    async (spec: W1Spec): Promise<W1Run> => {
      const slope = spec.slope;
      const predict = (p: Params, x: Arr): Arr => {
        let h = x;
        for (const l of p) h = nn.leakyRelu(np.dot(h, l.W).add(l.b), slope);
        return h;
      };
      const loss = (p: Params, x: Arr, t: Arr): Arr => np.mean(np.square(predict(p, x).sub(t)));
      const stepFn = jit((p: Params, s: AdamState, key: Arr) => {
        const keys = random.split(key, 2);
        const next = keys.ref.slice(0);
        const x = random.uniform(keys.slice(1), [spec.batch, 1]);
        const t = np.exp(x.ref);
        const [l, g] = valueAndGrad(loss)(tree.ref(p), x, t);
        const u = adamUpdate(jax, spec.adam, p, g as Params, s);
        return [l, u.p, u.s, next] as [Arr, Params, AdamState, Arr];
      });
      let p = makeParams(jax, spec.init);
      let s: AdamState = { m: zerosLikeParams(jax, p), v: zerosLikeParams(jax, p), count: np.array(0, { dtype: np.float32 }) };
      let key = random.key(spec.seed);
      const total = spec.warmup + spec.steps;
      const losses = new Float64Array(total);
      let t0 = performance.now();
      for (let i = 0; i < total; i++) {
        if (i === spec.warmup) t0 = performance.now();
        const [l, p2, s2, k2] = stepFn(p, s, key);
        p = p2;
        s = s2;
        key = k2;
        if (block) await blockUntilReady([l, p, s, key]);
        losses[i] = l.dataSync()[0]!;
      }
      await blockUntilReady([p, s]);
      const us = ((performance.now() - t0) * 1000) / spec.steps;
      tree.dispose([p, s, key]);
      stepFn.dispose();
      return { usPerStep: us, ...w1Losses(losses, spec.warmup) };
    };

  const w3 = async (spec: W3Spec): Promise<W3Run> => {
    const x = np.array(spec.x.slice(), { shape: [spec.batch, spec.sizes[0]!] });
    const y = nn.oneHot(np.array(spec.labels.slice(), { dtype: np.int32 }), spec.classes);
    const batch = spec.batch;
    const predict = (p: Params, h: Arr): Arr => {
      p.forEach((l, i) => {
        h = np.dot(h, l.W).add(l.b);
        if (i < p.length - 1) h = nn.relu(h);
      });
      return h;
    };
    // As the jax-js MNIST demo: −Σ onehot·logSoftmax(logits) / batch.
    const loss = (p: Params, xs: Arr, ys: Arr): Arr => nn.logSoftmax(predict(p, xs)).mul(ys).sum().mul(-1 / batch);
    const stepFn = jit((p: Params, s: AdamState, xs: Arr, ys: Arr) => {
      const [l, g] = valueAndGrad(loss)(tree.ref(p), xs, ys);
      const u = adamUpdate(jax, spec.adam, p, g as Params, s);
      return [l, u.p, u.s] as [Arr, Params, AdamState];
    });
    let p = makeParams(jax, spec.init);
    let s: AdamState = { m: zerosLikeParams(jax, p), v: zerosLikeParams(jax, p), count: np.array(0, { dtype: np.float32 }) };
    let first = NaN;
    let last = NaN;
    let t0 = performance.now();
    for (let i = 0; i < spec.warmup + spec.steps; i++) {
      if (i === spec.warmup) t0 = performance.now();
      const [l, p2, s2] = stepFn(p, s, x.ref, y.ref);
      p = p2;
      s = s2;
      await blockUntilReady([l, p, s]);
      last = l.dataSync()[0]!;
      if (i === 0) first = last;
    }
    const ms = (performance.now() - t0) / spec.steps;
    tree.dispose([p, s, x, y]);
    stepFn.dispose();
    return { msPerStep: ms, finalLoss: last, firstLoss: first };
  };

  const w4 = async (spec: W4Spec): Promise<W4Run> => {
    const a = np.array(spec.a.slice(), { shape: [spec.n, spec.n] });
    const b = np.array(spec.b.slice(), { shape: [spec.n, spec.n] });
    const mm = jit((x: Arr, y: Arr) => np.matmul(x, y));
    const r = await timeLoopAsync(spec, async () => {
      const c = mm(a.ref, b.ref);
      await c.blockUntilReady();
      c.dispose();
    });
    mm.dispose();
    a.dispose();
    b.dispose();
    return r;
  };

  const main: System = { id, label, version, notes, w1: w1(true), w3, w4 };
  const noBlock: System = {
    id: 'jax-js-noblock',
    label: 'jax-js wasm+jit, no block',
    version,
    notes: ['W1 only: as jax-js but without blockUntilReady, reading only the loss (dataSync) each step: the peer at its fastest'],
    w1: w1(false),
  };
  return [main, noBlock];
}
