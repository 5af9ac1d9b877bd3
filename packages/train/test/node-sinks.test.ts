import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { lastValueFrom, takeWhile, toArray } from 'rxjs';
import { isRight } from 'fp-ts/lib/Either.js';
import { Tensor, exp, leakyRelu, random, tree } from '@fluxion/core';
import { linear, meanSquaredError, mlp } from '@fluxion/nn';
import { adam, sgd } from '@fluxion/optim';
import { train, type TrainEvent } from '@fluxion/train';
import { checkpointName, latestCheckpoint, listCheckpoints, loadTrainCheckpoint, logJsonLines, progress, saveCheckpoints } from '@fluxion/train/node';

const params0 = mlp.init(random.key(0), [1, 4, 4, 1]);
type P = typeof params0;
type Batch = { x: Tensor; t: Tensor };
const predict = (p: P, x: Tensor): Tensor => leakyRelu(linear(p.l3, leakyRelu(linear(p.l2, leakyRelu(linear(p.l1, x))))));
const config = {
  params: params0,
  loss: (p: P, b: Batch) => meanSquaredError(predict(p, b.x), b.t),
  batches: (k: ReturnType<typeof random.key>) => {
    const x = random.uniform(k, [8, 1]);
    return { x, t: exp(x) };
  },
  steps: 60,
  checkpointEvery: 10,
  mode: 'sync' as const,
};

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'fluxion-train-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const bytesOf = (t: unknown): number[][] =>
  tree.leaves(t).map((l) => (l instanceof Tensor ? Array.from(new Uint8Array(l.toTypedArray().buffer)) : [Number(l)]));

describe('saveCheckpoints', () => {
  it('writes every checkpoint atomically, keeps the newest `keep`, and a saved file resumes the run exactly', async () => {
    const dir = tmp();
    const full = await lastValueFrom(train({ ...config, optimizer: adam() }).pipe(toArray()));
    // A full run keeps only the newest two files.
    await lastValueFrom(train({ ...config, optimizer: adam() }).pipe(saveCheckpoints(dir, { keep: 2 })));
    expect(listCheckpoints(dir).map((f) => f.step)).toEqual([50, 60]);
    rmSync(dir, { recursive: true });
    // Stopped after step 35: the newest file on disk is step 30.
    await lastValueFrom(
      train({ ...config, optimizer: adam() }).pipe(
        saveCheckpoints(dir, { keep: 2 }),
        takeWhile((e) => !(e.type === 'step' && e.step === 35), true),
      ),
    );
    expect(readdirSync(dir).sort()).toEqual([checkpointName(20), checkpointName(30)]);
    const loaded = loadTrainCheckpoint(latestCheckpoint(dir)!, { params: params0, optimizer: adam() });
    expect(isRight(loaded)).toBe(true);
    if (!isRight(loaded)) return;
    expect(loaded.right.step).toBe(30);
    const rest = await lastValueFrom(train({ ...config, optimizer: adam(), resumeFrom: loaded.right }).pipe(toArray()));
    const lossesOf = (es: TrainEvent<unknown, unknown, unknown>[]) => es.flatMap((e) => (e.type === 'step' ? [e.loss] : []));
    expect(lossesOf(rest)).toEqual(lossesOf(full).slice(30));
    const endOf = (es: TrainEvent<unknown, unknown, unknown>[]) => es[es.length - 1]!;
    const a = endOf(full);
    const b = endOf(rest);
    if (a.type !== 'done' || b.type !== 'done') throw new Error('runs must end with done');
    expect(bytesOf(b.checkpoint.params)).toEqual(bytesOf(a.checkpoint.params));
    expect(bytesOf(b.checkpoint.state)).toEqual(bytesOf(a.checkpoint.state));
  });

  it("stores built-in optimizer state in Chainer's layout", async () => {
    const dir = tmp();
    await lastValueFrom(train({ ...config, steps: 10, optimizer: adam() }).pipe(saveCheckpoints(dir)));
    const { decodeNpz } = await import('@fluxion/io');
    const entries = decodeNpz(readFileSync(latestCheckpoint(dir)!));
    if (!isRight(entries)) throw entries.left;
    const keys = [...entries.right.keys()];
    expect(keys).toContain('optimizer/l1/W/m');
    expect(keys).toContain('optimizer/l1/W/v');
    expect(keys).toContain('optimizer/t');
    expect(keys).toContain('params/l3/b');
  });

  it('loads a stateless optimizer (sgd) and reports a mismatched template as an error value', async () => {
    const dir = tmp();
    await lastValueFrom(train({ ...config, steps: 10, optimizer: sgd() }).pipe(saveCheckpoints(dir)));
    const ok = loadTrainCheckpoint(latestCheckpoint(dir)!, { params: params0, optimizer: sgd() });
    expect(isRight(ok)).toBe(true);
    const other = mlp.init(random.key(0), [1, 5, 4, 1]);
    const bad = loadTrainCheckpoint(latestCheckpoint(dir)!, { params: other, optimizer: sgd() });
    expect(isRight(bad)).toBe(false);
    if (!isRight(bad)) expect(bad.left.message).toContain('l1/W');
    const missing = loadTrainCheckpoint(join(dir, 'nope.npz'), { params: params0, optimizer: sgd() });
    expect(isRight(missing)).toBe(false);
  });
});

describe('logJsonLines', () => {
  it('writes one JSON object per event, every line flushed when the run ends', async () => {
    const dir = tmp();
    const path = join(dir, 'log.jsonl');
    await lastValueFrom(train({ ...config, steps: 20, evalEvery: 10, evaluate: () => ({ mse: 0.5 }), optimizer: adam() }).pipe(logJsonLines(path)));
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step: number; loss?: number; mse?: number });
    expect(lines.filter((l) => l.type === 'step').map((l) => l.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(lines.filter((l) => l.type === 'eval')).toEqual([expect.objectContaining({ step: 10, mse: 0.5 }), expect.objectContaining({ step: 20, mse: 0.5 })]);
    expect(lines.filter((l) => l.type === 'checkpoint').map((l) => l.step)).toEqual([10, 20]);
    expect(lines[lines.length - 1]).toEqual(expect.objectContaining({ type: 'done', step: 20, steps: 20 }));
    lines.filter((l) => l.type === 'step').forEach((l) => expect(Number.isFinite(l.loss)).toBe(true));
  });

  it('flushes what it has when the subscriber stops the run early', async () => {
    const dir = tmp();
    const path = join(dir, 'log.jsonl');
    await lastValueFrom(
      train({ ...config, optimizer: adam() }).pipe(
        logJsonLines(path),
        takeWhile((e) => !(e.type === 'step' && e.step === 7), true),
      ),
    );
    const steps = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number });
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('progress', () => {
  it('is silent when the stream is not a TTY and passes every event through', async () => {
    const out = new PassThrough() as unknown as NodeJS.WriteStream;
    let written = '';
    (out as unknown as PassThrough).on('data', (d: Buffer) => (written += d.toString()));
    const events = await lastValueFrom(train({ ...config, steps: 5, optimizer: adam() }).pipe(progress({ stream: out }), toArray()));
    expect(events.filter((e) => e.type === 'step')).toHaveLength(5);
    expect(written).toBe('');
  });

  it('draws step, loss and rate on a TTY', async () => {
    const out = new PassThrough() as unknown as NodeJS.WriteStream & { isTTY: boolean; columns: number };
    out.isTTY = true;
    out.columns = 120;
    (out as unknown as { cursorTo: () => boolean }).cursorTo = () => true;
    (out as unknown as { clearLine: () => boolean }).clearLine = () => true;
    (out as unknown as { moveCursor: () => boolean }).moveCursor = () => true;
    let written = '';
    (out as unknown as PassThrough).on('data', (d: Buffer) => (written += d.toString()));
    await lastValueFrom(train({ ...config, steps: 5, optimizer: adam() }).pipe(progress({ stream: out, total: 5 })));
    expect(written).toMatch(/5\/5 \| loss \d\.\d{3}e[-+]\d+ \| \d+ steps\/s/);
  });
});
