/**
 * `pnpm bench [--quick] [--reps N] [--only w1,w3,w4] [--systems id,…] [--no-rss] [--out file.json]`
 *
 * Fluxion beside TensorFlow.js (cpu and wasm backends) and jax-js (wasm + jit) on identical
 * workloads, in one process, interleaved. Prints Markdown tables; writes the whole report as JSON
 * (default results/latest.json, or results/latest-quick.json with --quick). Progress goes to stderr.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machine } from './machine.js';
import { describeSystems, formatReport, type Report } from './report.js';
import { rssOfW1 } from './rss.js';
import { runBenchmarks, WORKLOADS, type WorkloadId } from './run.js';
import { setUpSystems } from './systems/index.js';
import { isAvailable } from './types.js';
import { FULL, QUICK, type Sizes } from './workloads.js';

// pnpm may pass a '--' through to the script: drop it.
const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values: args } = parseArgs({
  args: argv,
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    only: { type: 'string' },
    systems: { type: 'string' },
    'no-rss': { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help) {
  console.log(`usage: pnpm bench [--quick] [--reps N] [--only w1,w3,w4] [--systems fluxion,fluxion-train,tfjs-cpu,tfjs-wasm,jax-js,jax-js-noblock] [--no-rss] [--out file.json]`);
  process.exit(0);
}

const fail = (msg: string): never => {
  console.error(`bench: ${msg}`);
  process.exit(2);
};

let sizes: Sizes = args.quick ? QUICK : FULL;
if (args.reps !== undefined) {
  const n = Number(args.reps);
  if (!Number.isInteger(n) || n < 1) fail(`--reps must be a positive integer, got '${args.reps}'`);
  sizes = { ...sizes, mode: args.quick ? 'quick' : n === FULL.reps ? sizes.mode : 'custom', reps: n };
}
const workloads = (args.only?.split(',').map((s) => s.trim().toLowerCase()) ?? [...WORKLOADS]) as WorkloadId[];
for (const w of workloads) if (!WORKLOADS.includes(w)) fail(`--only takes ${WORKLOADS.join(',')}, got '${w}'`);
if (args.only !== undefined && sizes.mode === 'full') sizes = { ...sizes, mode: 'custom' };

const here = dirname(fileURLToPath(import.meta.url));
const outPath = resolve(
  process.env.INIT_CWD ?? process.cwd(),
  args.out ?? resolve(here, '..', 'results', args.quick ? 'latest-quick.json' : sizes.mode === 'full' ? 'latest.json' : 'latest-custom.json'),
);
const log = (s: string) => process.stderr.write(`${s}\n`);

const started = performance.now();
const m = machine();
log(`bench: ${sizes.mode} run, ${sizes.reps} repetitions, workloads ${workloads.join(', ')}; ${m.cpuModel}, ${m.cores} CPUs, Node ${m.node}`);
if (typeof (globalThis as { gc?: unknown }).gc !== 'function') log('bench: note: no --expose-gc, garbage is not collected between measurements');

let setups = await setUpSystems();
if (args.systems !== undefined) {
  const want = new Set(args.systems.split(',').map((s) => s.trim()));
  for (const id of want) if (!setups.some((s) => s.id === id)) fail(`unknown system '${id}' (have ${setups.map((s) => s.id).join(', ')})`);
  setups = setups.filter((s) => want.has(s.id));
}
for (const s of setups) if (!isAvailable(s)) log(`bench: ${s.label} is unavailable: ${s.reason}`);
const systems = setups.filter(isAvailable);

const results = await runBenchmarks({ sizes, systems, workloads, log });

let w1PeakRss: Report['w1PeakRss'];
if (!args['no-rss'] && workloads.includes('w1') && systems.some((s) => s.id === 'fluxion')) {
  log(`bench: W1 peak RSS: Fluxion alone in a child process (${sizes.w1.steps} steps after ${sizes.w1.warmup})…`);
  try {
    w1PeakRss = await rssOfW1(sizes.w1.warmup, sizes.w1.steps);
  } catch (e) {
    w1PeakRss = { error: (e as Error).message };
  }
}

const report: Report = {
  schema: 1,
  date: new Date().toISOString(),
  mode: sizes.mode,
  sizes,
  machine: m,
  loadAvgAtEnd: os.loadavg()[0]!,
  wallSeconds: (performance.now() - started) / 1000,
  systems: describeSystems(setups),
  results,
  ...(w1PeakRss ? { w1PeakRss } : {}),
};

console.log(formatReport(report));
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nJSON: ${outPath}`);

const fluxionFailed = [results.w1, results.w3, ...(results.w4 ?? []).map((b) => b.rows)]
  .flatMap((rows) => rows ?? [])
  .some((r) => r.system === 'fluxion' && r.value.samples.length === 0);
if (fluxionFailed) {
  console.error('bench: Fluxion itself failed a workload (see the table)');
  process.exit(1);
}
