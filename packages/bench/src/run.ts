/**
 * Runs the workloads over the systems: for each workload, repetition r runs every system once,
 * in an order rotated by r (A B C, B C A, …), so each system is measured interleaved with the
 * others under the same conditions; garbage is collected before each measurement when node runs
 * with --expose-gc. Failures are recorded per system and do not stop the others.
 */
import { stat, type Stat } from './stats.js';
import { collectGarbage, type System, type W1Spec, type W3Spec, type W4Spec } from './types.js';
import { w1Spec, w3Spec, w4Spec, type Sizes } from './workloads.js';

export type WorkloadId = 'w1' | 'w3' | 'w4';
export const WORKLOADS: readonly WorkloadId[] = ['w1', 'w3', 'w4'];

/** One system's figures for one workload (or size of W4). */
export interface Row {
  readonly system: string;
  readonly label: string;
  /** µs/step (W1), ms/step (W3), GFLOP/s (W4). */
  readonly value: Stat;
  /** value.median / Fluxion's value.median; null without a Fluxion row. */
  readonly ratio: number | null;
  /** W1 and W3: the loss at the end of each repetition (W1: mean of the last 100 steps). */
  readonly finalLoss?: Stat;
  /** W1 and W3: the loss at the start of each repetition. */
  readonly firstLoss?: Stat;
  /**
   * CPU time of this process over wall time, per repetition (setup and warm-up included): about 1
   * for single-threaded work; clearly above 1 means the system used more than one core (V8's
   * background GC threads add a little for everyone).
   */
  readonly cpuPerWall?: Stat;
  /** Why some or all repetitions failed. */
  readonly errors?: readonly string[];
}

export interface Results {
  readonly w1?: readonly Row[];
  readonly w3?: readonly Row[];
  readonly w4?: readonly { readonly n: number; readonly rows: readonly Row[] }[];
}

export interface RunOptions {
  readonly sizes: Sizes;
  readonly systems: readonly System[];
  readonly workloads: readonly WorkloadId[];
  /** Progress lines (to stderr in the CLI). */
  readonly log?: (line: string) => void;
  /** The id of the system ratios are taken against (default 'fluxion'). */
  readonly baseline?: string;
}

interface Measure {
  value: number;
  finalLoss?: number;
  firstLoss?: number;
}

const rotate = <T>(xs: readonly T[], r: number): T[] => xs.map((_, i) => xs[(i + r) % xs.length]!);

async function interleaved(
  name: string,
  systems: readonly System[],
  reps: number,
  run: (s: System) => Promise<Measure>,
  log: (line: string) => void,
  baseline: string,
): Promise<Row[]> {
  const got = new Map<string, { values: number[]; final: number[]; first: number[]; cpu: number[]; errors: string[] }>();
  for (const s of systems) got.set(s.id, { values: [], final: [], first: [], cpu: [], errors: [] });
  for (let r = 0; r < reps; r++) {
    for (const s of rotate(systems, r)) {
      const g = got.get(s.id)!;
      collectGarbage();
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      try {
        const m = await run(s);
        const c = process.cpuUsage(c0);
        g.cpu.push((c.user + c.system) / 1000 / (performance.now() - t0));
        g.values.push(m.value);
        if (m.finalLoss !== undefined) g.final.push(m.finalLoss);
        if (m.firstLoss !== undefined) g.first.push(m.firstLoss);
        log(`${name} rep ${r + 1}/${reps} ${s.id}: ${fmtNum(m.value)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (e) {
        const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        g.errors.push(`rep ${r + 1}: ${msg}`);
        log(`${name} rep ${r + 1}/${reps} ${s.id}: FAILED ${msg}`);
      }
    }
  }
  const base = got.get(baseline);
  const baseMedian = base && base.values.length > 0 ? stat(base.values).median : null;
  return systems.map((s) => {
    const g = got.get(s.id)!;
    const value = stat(g.values);
    return {
      system: s.id,
      label: s.label,
      value,
      ratio: baseMedian === null || g.values.length === 0 ? null : value.median / baseMedian,
      ...(g.final.length > 0 ? { finalLoss: stat(g.final) } : {}),
      ...(g.first.length > 0 ? { firstLoss: stat(g.first) } : {}),
      ...(g.cpu.length > 0 ? { cpuPerWall: stat(g.cpu) } : {}),
      ...(g.errors.length > 0 ? { errors: g.errors } : {}),
    };
  });
}

const fmtNum = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3));

/** Runs the selected workloads; the specs (initial params, fixed data) are built once and shared. */
export async function runBenchmarks(opts: RunOptions): Promise<Results> {
  const { sizes, systems, workloads } = opts;
  const log = opts.log ?? (() => {});
  const baseline = opts.baseline ?? 'fluxion';
  const out: { w1?: Row[]; w3?: Row[]; w4?: { n: number; rows: Row[] }[] } = {};
  if (workloads.includes('w1')) {
    const spec: W1Spec = w1Spec(sizes);
    const ss = systems.filter((s) => s.w1);
    out.w1 = await interleaved('W1', ss, sizes.reps, async (s) => {
      const r = await s.w1!(spec);
      return { value: r.usPerStep, finalLoss: r.finalLoss, firstLoss: r.firstLoss };
    }, log, baseline);
  }
  if (workloads.includes('w3')) {
    const spec: W3Spec = w3Spec(sizes);
    const ss = systems.filter((s) => s.w3);
    out.w3 = await interleaved('W3', ss, sizes.reps, async (s) => {
      const r = await s.w3!(spec);
      return { value: r.msPerStep, finalLoss: r.finalLoss, firstLoss: r.firstLoss };
    }, log, baseline);
  }
  if (workloads.includes('w4')) {
    out.w4 = [];
    for (const n of sizes.w4.ns) {
      const spec: W4Spec = w4Spec(sizes, n);
      const ss = systems.filter((s) => s.w4);
      const rows = await interleaved(`W4 n=${n}`, ss, sizes.reps, async (s) => ({ value: (await s.w4!(spec)).gflops }), log, baseline);
      out.w4.push({ n, rows });
    }
  }
  return out;
}
