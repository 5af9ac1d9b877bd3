/**
 * Fluxion, driven the way its README and the seed example do: params are @fluxion/nn's
 * `{ l1: { W, b }, … }` tree, the loss is a plain function of (params, batch), gradients come from
 * `valueAndGrad(loss)` and the update from optim's fused `step(opt, params, grads, state)`.
 * The second W1 row runs the same model through `train()` in 'sync' mode.
 */
import { matmul, random, relu, tensor, valueAndGrad, type Tensor } from '@fluxion/core';
import { mlp, softmaxCrossEntropy } from '@fluxion/nn';
import { step } from '@fluxion/optim';
import { train } from '@fluxion/train';
import type { System, W1Run, W1Spec, W3Run, W3Spec, W4Run, W4Spec } from '../types.js';
import { adamOf, fluxionParams, fluxionW1, w1Model, type Params } from './fluxion-w1.js';
import { w1Losses } from '../types.js';
import { timeLoop } from '../timing.js';
import { fluxionVersion } from '../versions.js';

/** W1 through train() in 'sync' mode (its default NaN checks on), timed from step `warmup` to the end. */
export async function fluxionTrainW1(spec: W1Spec): Promise<W1Run> {
  const { loss, batchOf } = w1Model(spec);
  const total = spec.warmup + spec.steps;
  const losses = new Float64Array(total);
  let t0 = performance.now();
  let t1 = NaN;
  let failure: unknown = null;
  // 'sync': the whole run happens inside subscribe().
  train({
    params: fluxionParams(spec.init),
    loss,
    optimizer: adamOf(spec),
    batches: (key: random.Key) => batchOf(key),
    steps: total,
    key: random.key(spec.seed),
    mode: 'sync',
  }).subscribe({
    next: (e) => {
      if (e.type !== 'step') return;
      losses[e.step - 1] = e.loss;
      if (e.step === spec.warmup) t0 = performance.now();
      if (e.step === total) t1 = performance.now();
    },
    error: (e: unknown) => {
      failure = e;
    },
  });
  if (failure !== null) throw failure;
  if (!(t1 >= t0)) throw new Error('train() did not run every step synchronously');
  // With warmup = 0 the clock starts before the first step: the same span as the direct loop.
  return { usPerStep: ((t1 - t0) * 1000) / spec.steps, ...w1Losses(losses, spec.warmup) };
}

/** W3: mlp with relu hidden activations and a linear output, softmaxCrossEntropy on int32 labels. */
export async function fluxionW3(spec: W3Spec): Promise<W3Run> {
  const x = tensor(spec.x, { shape: [spec.batch, spec.sizes[0]!] });
  const labels = tensor(spec.labels, { shape: [spec.batch], dtype: 'int32' });
  const options = { activation: relu, finalActivation: null };
  const loss = (p: Params, b: { x: Tensor; labels: Tensor }): Tensor => softmaxCrossEntropy(mlp(p, b.x, options), b.labels);
  const opt = adamOf(spec);
  const vg = valueAndGrad(loss);
  let params = fluxionParams(spec.init);
  let state = opt.init(params);
  const batch = { x, labels };
  let first = NaN;
  let last = NaN;
  let t0 = performance.now();
  for (let i = 0; i < spec.warmup + spec.steps; i++) {
    if (i === spec.warmup) t0 = performance.now();
    const [l, g] = vg(params, batch);
    ({ params, state } = step(opt, params, g, state));
    last = l.item();
    if (i === 0) first = last;
  }
  return { msPerStep: (performance.now() - t0) / spec.steps, finalLoss: last, firstLoss: first };
}

/** W4: matmul of two n×n float32 tensors; Fluxion is eager, so the result is complete on return. */
export async function fluxionW4(spec: W4Spec): Promise<W4Run> {
  const a = tensor(spec.a, { shape: [spec.n, spec.n] });
  const b = tensor(spec.b, { shape: [spec.n, spec.n] });
  let sink = 0;
  const r = await timeLoop(spec, () => {
    sink += matmul(a, b).data[0]!;
  });
  if (!Number.isFinite(sink)) throw new Error('matmul produced a non-finite value');
  return r;
}

export function fluxionSystems(): System[] {
  const version = `@fluxion/core ${fluxionVersion()} (workspace source)`;
  return [
    {
      id: 'fluxion',
      label: 'Fluxion',
      version,
      notes: ['valueAndGrad(loss) + optim step(opt, params, grads, state) (fused Adam); batch i = random.uniform(foldIn(key, i)); eager, single-threaded TypeScript'],
      w1: fluxionW1,
      w3: fluxionW3,
      w4: fluxionW4,
    },
    {
      id: 'fluxion-train',
      label: "Fluxion train() 'sync'",
      version,
      notes: ["train({ …, mode: 'sync' }) with its defaults (NaN/inf checks of loss, gradients and params on); losses from step events"],
      w1: fluxionTrainW1,
    },
  ];
}
