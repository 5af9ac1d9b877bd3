/**
 * Child process for W1's peak RSS: Fluxion alone, no peer loaded, so nothing else's memory counts.
 * Prints one JSON line: { baselineRssBytes, maxRssKiB, usPerStep, finalLoss }.
 *
 *   bundled by rss.ts with esbuild, then: node child.mjs <warmup> <steps>
 */
import { fluxionW1 } from './systems/fluxion-w1.js';
import { w1Spec, QUICK } from './workloads.js';

const warmup = Number(process.argv[2] ?? 50);
const steps = Number(process.argv[3] ?? 10_000);
// Resident set after node, the TypeScript loader and Fluxion's modules are loaded, before any work.
const spec = w1Spec({ ...QUICK, w1: { warmup, steps } });
const baselineRssBytes = process.memoryUsage().rss;
const r = await fluxionW1(spec);
// ru_maxrss: the peak resident set of this process over its whole life, in KiB on Linux.
const maxRssKiB = process.resourceUsage().maxRSS;
process.stdout.write(`${JSON.stringify({ baselineRssBytes, maxRssKiB, usPerStep: r.usPerStep, finalLoss: r.finalLoss })}\n`);
