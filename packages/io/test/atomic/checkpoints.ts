/** The checkpoints the atomicity test's child saves: a pure function of the step. */
import { random, tensor, zeros } from '@fluxion/core';

/** 64 Ki float32 weights: a 256 KiB file, so that a kill often lands inside a write. */
const N = 65536;

export function checkpointFor(step: number) {
  const W = new Float32Array(N);
  for (let i = 0; i < N; i++) W[i] = step + i / N;
  return {
    params: { l1: { W: tensor(W, { shape: [256, 256] }), b: tensor(new Float32Array([step, -step])) } },
    optState: { t: step, l1: { W: { m: zeros([2]) } } },
    step,
    key: random.foldIn(random.key(0), step),
    metadata: { step, note: `checkpoint ${step}` },
  };
}

export const template = { params: checkpointFor(0).params, optState: checkpointFor(0).optState };
