/**
 * Fluxion's W1 on its fastest idiomatic path, in a module of its own that imports only core, nn
 * and optim: the W1 peak-RSS child loads nothing else.
 */
import { exp, leakyRelu, random, tensor, valueAndGrad, type Tensor } from '@fluxion/core';
import { linear, meanSquaredError, type LinearParams } from '@fluxion/nn';
import { adam, step } from '@fluxion/optim';
import type { AdamSpec, MlpInit, W1Run, W1Spec } from '../types.js';
import { w1Losses } from '../types.js';

export type Params = Readonly<Record<string, LinearParams>>;

/** The shared initial values as Fluxion params (copies: every repetition starts fresh). */
export function fluxionParams(init: MlpInit): Params {
  const p: Record<string, LinearParams> = {};
  init.forEach((l, i) => {
    p[`l${i + 1}`] = {
      W: tensor(l.W.slice(), { shape: [l.outSize, l.inSize] }),
      b: tensor(l.b.slice(), { shape: [l.outSize] }),
    };
  });
  return p;
}

interface Batch {
  readonly x: Tensor;
  readonly t: Tensor;
}

/** The seed's model: leakyRelu(slope) after every layer, written as examples/exp-fit/model.ts writes it. */
export function w1Model(spec: W1Spec) {
  const act = (h: Tensor) => leakyRelu(h, spec.slope);
  const predict = (p: Params, x: Tensor): Tensor => act(linear(p.l3!, act(linear(p.l2!, act(linear(p.l1!, x))))));
  const loss = (p: Params, b: Batch): Tensor => meanSquaredError(predict(p, b.x), b.t);
  const batchOf = (key: random.Key): Batch => {
    const x = random.uniform(key, [spec.batch, 1]);
    return { x, t: exp(x) };
  };
  return { loss, batchOf };
}

export function adamOf(spec: { readonly adam: AdamSpec }) {
  const { lr, beta1, beta2, eps } = spec.adam;
  return adam({ alpha: lr, beta1, beta2, eps });
}

/** W1 the fastest idiomatic way: valueAndGrad + fused step, batch i from foldIn(key, i). */
export async function fluxionW1(spec: W1Spec): Promise<W1Run> {
  const { loss, batchOf } = w1Model(spec);
  const opt = adamOf(spec);
  const vg = valueAndGrad(loss);
  let params = fluxionParams(spec.init);
  let state = opt.init(params);
  const dataKey = random.key(spec.seed);
  const total = spec.warmup + spec.steps;
  const losses = new Float64Array(total);
  let t0 = performance.now();
  for (let i = 0; i < total; i++) {
    if (i === spec.warmup) t0 = performance.now();
    const [l, g] = vg(params, batchOf(random.foldIn(dataKey, i)));
    ({ params, state } = step(opt, params, g, state));
    losses[i] = l.item();
  }
  const us = ((performance.now() - t0) * 1000) / spec.steps;
  return { usPerStep: us, ...w1Losses(losses, spec.warmup) };
}
