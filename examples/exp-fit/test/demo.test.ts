import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pngSize } from '@fluxion/viz/node';

const here = fileURLToPath(new URL('..', import.meta.url));

describe('pnpm demo (exp-fit main.ts) at reduced steps', () => {
  it('writes the plots, the model and the log, and prints the weight, the fit and a summary', () => {
    const out = mkdtempSync(join(tmpdir(), 'fluxion-exp-fit-'));
    try {
      const tsx = join(dirname(createRequire(join(here, 'package.json')).resolve('tsx/package.json')), 'dist', 'cli.mjs');
      const stdout = execFileSync(process.execPath, [tsx, '--conditions=@fluxion/source', 'main.ts', '--steps', '300', '--out', out], {
        cwd: here,
        encoding: 'utf8',
        env: { ...process.env, INIT_CWD: here },
      });
      expect(stdout).toContain('params.l1.W (as reloaded from model.npz):');
      expect(stdout).toMatch(/array\(\[\[[\s\S]*\]\], dtype=float32\)/);
      expect(stdout).toMatch(/pred\(0\.2\) = [\d.]+ {3}exp\(0\.2\) = 1\.221403/);
      expect(stdout).toMatch(/max \|pred − exp\| on 100 points of \[0, 1\]: [\d.]+e[-+]\d+/);
      expect(stdout).toMatch(/exp-fit: 300 steps in [\d.]+ s \(\d+ steps\/s\), final loss [\d.]+e[-+]\d+; files in .*: loss\.svg\/png, fit\.svg\/png/);
      for (const f of ['loss.svg', 'loss.png', 'fit.svg', 'fit.png', 'model.npz', 'log.jsonl']) expect(existsSync(join(out, f)), f).toBe(true);
      expect(pngSize(readFileSync(join(out, 'loss.png')))).toEqual({ width: 640, height: 400 });
      expect(pngSize(readFileSync(join(out, 'fit.png')))).toEqual({ width: 640, height: 400 });
      const loss = readFileSync(join(out, 'loss.svg'), 'utf8');
      expect(loss).toContain('axis-y axis-log');
      const fit = readFileSync(join(out, 'fit.svg'), 'utf8');
      const names = [...fit.matchAll(/<path class="series" data-name="([^"]+)"/g)].map((m) => m[1]);
      expect(names).toHaveLength(2);
      expect(names[0]).toBe('exp(x)');
      expect(names[1]).toMatch(/^model \(MLP 1→16→32→1, 300 steps\): max \|error\| [\d.]+e[-+]\d+$/);
      expect(readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n')).toHaveLength(300 + 3 + 1); // steps, checkpoints, done
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
