/**
 * Peak RSS of Fluxion's W1, measured in a child process that loads Fluxion alone (rss-child.ts).
 * The child is bundled with esbuild (Fluxion from source, via the @fluxion/source condition) and
 * run by plain `node`, as a user runs compiled JavaScript: no TypeScript loader in memory (tsx
 * alone adds about 37 MiB of resident memory here). If esbuild cannot be loaded, it falls back to
 * `node --import tsx` and says so.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface RssResult {
  readonly steps: number;
  readonly warmup: number;
  /** Peak resident set of the child over its life (ru_maxrss), MiB. */
  readonly peakRssMiB: number;
  /** Resident set after loading node and Fluxion, before W1 ran, MiB. */
  readonly baselineRssMiB: number;
  readonly usPerStep: number;
  readonly finalLoss: number;
  /** How the child ran. */
  readonly how: string;
}

async function childCommand(dir: string): Promise<{ args: string[]; how: string }> {
  const entry = fileURLToPath(new URL('./rss-child.ts', import.meta.url));
  try {
    const esbuild = await import('esbuild');
    const outfile = join(dir, 'rss-child.mjs');
    await esbuild.build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['@fluxion/source'],
      logLevel: 'silent',
    });
    return { args: [outfile], how: `node (rss-child.ts bundled by esbuild ${esbuild.version}, Fluxion from source)` };
  } catch (e) {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    return {
      args: ['--conditions=@fluxion/source', '--import', tsx, entry],
      how: `node --import tsx (esbuild unavailable: ${(e as Error).message}; tsx adds ~37 MiB to the baseline)`,
    };
  }
}

export async function rssOfW1(warmup: number, steps: number, timeoutMs = 600_000): Promise<RssResult> {
  const dir = mkdtempSync(join(tmpdir(), 'fluxion-bench-rss-'));
  try {
    const { args, how } = await childCommand(dir);
    const all = [...args, String(warmup), String(steps)];
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(process.execPath, all, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`W1 RSS child failed: ${err.message}\n${stderr}`));
        else resolve({ stdout, stderr });
      });
    });
    let r: { baselineRssBytes: number; maxRssKiB: number; usPerStep: number; finalLoss: number };
    try {
      r = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as typeof r;
    } catch (e) {
      throw new Error(`W1 RSS child printed no result: ${(e as Error).message}\nstdout: ${stdout}\nstderr: ${stderr}`);
    }
    return {
      steps,
      warmup,
      peakRssMiB: r.maxRssKiB / 1024,
      baselineRssMiB: r.baselineRssBytes / 2 ** 20,
      usPerStep: r.usPerStep,
      finalLoss: r.finalLoss,
      how,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
