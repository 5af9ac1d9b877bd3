/**
 * The benchmark harness at tiny sizes, in-process: every system runs every workload and reports
 * sane numbers. Never a speed assertion: this only checks that `pnpm bench` works.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { formatReport, describeSystems, type Report } from '../src/report.js';
import { machine } from '../src/machine.js';
import { rssOfW1 } from '../src/rss.js';
import { runBenchmarks, type Results, type Row } from '../src/run.js';
import { setUpSystems } from '../src/systems/index.js';
import { isAvailable, type Setup } from '../src/types.js';
import type { Sizes } from '../src/workloads.js';

const TINY: Sizes = {
  mode: 'custom',
  reps: 2,
  w1: { warmup: 10, steps: 150 },
  w3: { warmup: 1, steps: 1 },
  w4: { ns: [32], minMs: 5, minIters: 2 },
};

const EXPECTED = ['fluxion', 'fluxion-train', 'tfjs-cpu', 'tfjs-wasm', 'jax-js', 'jax-js-noblock'];

const finitePositive = (x: number) => Number.isFinite(x) && x > 0;

function checkRows(rows: readonly Row[] | undefined, ids: readonly string[]) {
  expect(rows?.map((r) => r.system)).toEqual(ids);
  for (const r of rows!) {
    expect(r.errors, `${r.system}: ${r.errors?.join('; ')}`).toBeUndefined();
    expect(r.value.samples).toHaveLength(TINY.reps);
    for (const v of r.value.samples) expect(finitePositive(v), `${r.system}: ${v}`).toBe(true);
    expect(r.value.min).toBeLessThanOrEqual(r.value.median);
    expect(r.value.median).toBeLessThanOrEqual(r.value.max);
    expect(finitePositive(r.ratio!), `${r.system} ratio ${r.ratio}`).toBe(true);
  }
  expect(rows!.find((r) => r.system === 'fluxion')!.ratio).toBe(1);
}

describe('pnpm bench at tiny sizes', () => {
  let setups: Setup[];
  let results: Results;

  beforeAll(async () => {
    setups = await setUpSystems();
    results = await runBenchmarks({ sizes: TINY, systems: setups.filter(isAvailable), workloads: ['w1', 'w3', 'w4'] });
  }, 60_000);

  it('sets up Fluxion and every peer (a peer that cannot run says why)', () => {
    for (const s of setups) expect('reason' in s ? `${s.id}: ${s.reason}` : s.id).toBe(s.id);
    expect(setups.map((s) => s.id)).toEqual(EXPECTED);
    const wasm = setups.find((s) => s.id === 'tfjs-wasm');
    expect(wasm && isAvailable(wasm) ? wasm.notes.join(' ') : '').toMatch(/SIMD ACTIVE/);
  });

  it('W1: positive finite µs/step for every system, and the loss falls from its start', () => {
    checkRows(results.w1, EXPECTED);
    for (const r of results.w1!) {
      for (const [first, final] of r.firstLoss!.samples.map((f, i) => [f, r.finalLoss!.samples[i]!] as const)) {
        expect(Number.isFinite(final), `${r.system} final loss ${final}`).toBe(true);
        // Same init, same Adam: from ≈ 2.9 (exp on [0, 1) vs an untrained net) down by far.
        expect(final, `${r.system}: first ${first}, final ${final}`).toBeLessThan(first / 4);
      }
    }
  });

  it('W3: positive finite ms/step and finite losses; every system starts from the same loss', () => {
    const ids = EXPECTED.filter((id) => id !== 'fluxion-train' && id !== 'jax-js-noblock');
    checkRows(results.w3, ids);
    const firsts = results.w3!.map((r) => r.firstLoss!.median);
    for (const r of results.w3!) expect(Number.isFinite(r.finalLoss!.median)).toBe(true);
    // Identical initial params and data: the first loss agrees across libraries (float32 rounding aside).
    for (const f of firsts) expect(Math.abs(f - firsts[0]!)).toBeLessThan(1e-3 * Math.abs(firsts[0]!));
  });

  it('W4: positive finite GFLOP/s for every system', () => {
    expect(results.w4?.map((b) => b.n)).toEqual([32]);
    checkRows(results.w4![0]!.rows, EXPECTED.filter((id) => id !== 'fluxion-train' && id !== 'jax-js-noblock'));
  });

  it('formats the tables and a JSON-serialisable report', () => {
    const report: Report = {
      schema: 1,
      date: new Date(0).toISOString(),
      mode: TINY.mode,
      sizes: TINY,
      machine: machine(),
      loadAvgAtEnd: 0,
      wallSeconds: 1,
      systems: describeSystems(setups),
      results,
    };
    const text = formatReport(report);
    for (const h of ['## W1', '## W3', '## W4', '| Fluxion ', '| tfjs wasm ', '| jax-js wasm+jit ']) expect(text).toContain(h);
    const back = JSON.parse(JSON.stringify(report)) as Report;
    expect(back.machine.cores).toBeGreaterThan(0);
    expect(back.machine.node).toBe(process.version);
  });

  it('measures W1 peak RSS in a child process running Fluxion alone', async () => {
    const r = await rssOfW1(10, 50);
    expect(finitePositive(r.peakRssMiB)).toBe(true);
    expect(r.peakRssMiB).toBeGreaterThanOrEqual(r.baselineRssMiB);
    expect(finitePositive(r.usPerStep)).toBe(true);
    expect(Number.isFinite(r.finalLoss)).toBe(true);
  }, 30_000);
});
