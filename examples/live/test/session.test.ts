import { describe, expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { random } from '@fluxion/core';
import { mlp } from '@fluxion/nn';
import { adam } from '@fluxion/optim';
import { train } from '@fluxion/train';
import { Session, batchOf, defaultSettings, loss, parseHidden } from '../web/session.js';

const until = async (cond: () => boolean, ms = 20_000): Promise<void> => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('the live page session (no DOM)', () => {
  it('parses hidden sizes', () => {
    expect(parseHidden('16, 32')).toEqual([16, 32]);
    expect(parseHidden(' 8 ')).toEqual([8]);
    expect(parseHidden('16x32x8')).toEqual([16, 32, 8]);
    expect(parseHidden('')).toBeNull();
    expect(parseHidden('16, 0')).toBeNull();
    expect(parseHidden('1.5')).toBeNull();
    expect(parseHidden('1,2,3,4,5,6,7')).toBeNull();
  });

  it('pause and continue give the same run as one without a pause, step for step', async () => {
    const s = new Session({ ...defaultSettings, hidden: [8] });
    s.start();
    await until(() => s.step >= 30);
    s.pause();
    const at = s.step;
    await new Promise((r) => setTimeout(r, 50));
    expect(s.step).toBe(at);
    expect(s.status.kind).toBe('paused');
    s.start();
    await until(() => s.step >= at + 30);
    s.pause();
    const n = s.step;
    expect(s.steps).toEqual(Array.from({ length: n }, (_, i) => i + 1));

    // The same run in one go.
    const [initKey, runKey] = random.split(random.key(defaultSettings.seed));
    const events = await lastValueFrom(
      train({ params: mlp.init(initKey!, [1, 8, 1]), loss, optimizer: adam(), batches: batchOf(100), steps: n, key: runKey!, mode: 'sync' }).pipe(toArray()),
    );
    const losses = events.flatMap((e) => (e.type === 'step' ? [e.loss] : []));
    expect(s.losses).toEqual(losses);
  });

  it('reset goes back to step 0 with fresh params of the new sizes', async () => {
    const s = new Session(defaultSettings);
    s.start();
    await until(() => s.step >= 5);
    s.reset({ hidden: [4, 4] });
    expect(s.step).toBe(0);
    expect(s.losses).toEqual([]);
    expect(s.running).toBe(false);
    expect(Object.keys(s.params)).toEqual(['l1', 'l2', 'l3']);
    expect(s.params['l1']!.W.shape).toEqual([4, 1]);
    expect(s.predictGrid()).toHaveLength(100);
  });

  it('a learning rate so large that the params overflow stops with the error on show, at the last good checkpoint', async () => {
    const s = new Session({ ...defaultSettings, lr: 1e38 });
    s.start();
    await until(() => !s.running);
    expect(s.status.kind).toBe('error');
    expect(s.status.kind === 'error' && s.status.message).toMatch(/non-finite/);
    expect(s.losses).toHaveLength(s.step);
  });
});
