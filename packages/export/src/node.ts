/**
 * @fluxion/export/node: write the exported files, and run them from Node (import the ES module;
 * compile the C file with the machine's `cc` and run it through a small driver) to check them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Tensor } from '@fluxion/core';
import { hexDouble } from './floats.js';
import { ExportError, exportModel } from './index.js';

/** Options of {@link writeModelFiles}. */
export interface WriteModelOptions {
  /** As `exportModel`'s: `[batch, ...features]`, the batch size only an example. */
  readonly inputShape: readonly number[];
  /** Function name in both files (default `'predict'`). */
  readonly name?: string;
  /** Where to write the ES module (e.g. `out/model.mjs`); left out: not written. */
  readonly js?: string;
  /** Where to write the C file (e.g. `out/model.c`); left out: not written. */
  readonly c?: string;
}

/**
 * Exports the model to the files named in `options` (folders are created) and returns the
 * sources written.
 * @example writeModelFiles(predict, params, { inputShape: [1, 1], js: 'out/model.mjs', c: 'out/model.c' })
 * @throws as `exportModel`; Node's errors when a file cannot be written.
 */
export function writeModelFiles<P>(
  predict: (params: P, x: Tensor) => Tensor,
  params: P,
  options: WriteModelOptions,
): { js?: string; c?: string } {
  const out: { js?: string; c?: string } = {};
  const base = { inputShape: options.inputShape, ...(options.name !== undefined ? { name: options.name } : {}) };
  for (const format of ['js', 'c'] as const) {
    const path = options[format];
    if (path === undefined) continue;
    const src = exportModel(predict, params, { ...base, format });
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, src);
    out[format] = src;
  }
  return out;
}

/** An exported ES module: the function, its default export and its shapes. */
export interface ExportedModule {
  readonly default: (x: Float32Array) => Float32Array;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly [name: string]: unknown;
}

/** Imports ES module source (as `exportModel(..., { format: 'js' })` returns it) from a temporary file. */
export async function importModule(source: string): Promise<ExportedModule> {
  const dir = mkdtempSync(join(tmpdir(), 'fluxion-js-'));
  try {
    const file = join(dir, 'model.mjs');
    writeFileSync(file, source);
    return (await import(pathToFileURL(file).href)) as ExportedModule;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The flags `runC` compiles the model with, at least. */
export const C_FLAGS: readonly string[] = ['-std=c99', '-Wall', '-Werror', '-O2'];

/** Options of {@link compileC} and {@link runC}. */
export interface RunCOptions {
  /** The function name the file defines (default `'predict'`). */
  readonly name?: string;
  /** The compiler (default `cc`). */
  readonly cc?: string;
  /** Extra flags for compiling the model (e.g. `['-Wextra', '-pedantic']`). */
  readonly flags?: readonly string[];
}

/** Parses C's `%a` output (`0x1.8p+1`, `-0x0p+0`, `inf`, `-nan`) exactly. */
export function parseHexFloat(s: string): number {
  const t = s.trim().toLowerCase();
  const sign = t.startsWith('-') ? -1 : 1;
  const u = t.replace(/^[-+]/, '');
  if (u === 'inf' || u === 'infinity') return sign * Infinity;
  if (u.startsWith('nan')) return NaN;
  const m = /^0x([0-9a-f]*)(?:\.([0-9a-f]*))?p([-+]?\d+)$/.exec(u);
  if (m === null) throw new ExportError('parseHexFloat', `not a hexadecimal float: '${s}'`);
  const frac = m[2] ?? '';
  const digits = (m[1] ?? '') + frac;
  // At most 53 significant bits (C prints doubles with 13 hex digits after the point): exact.
  const mant = digits === '' ? 0 : parseInt(digits, 16);
  const e = Number(m[3]) - 4 * frac.length;
  const half = Math.trunc(e / 2);
  return sign * mant * 2 ** half * 2 ** (e - half);
}

const DRIVER = (name: string): string => `#include <stdio.h>
#include <stdlib.h>
extern const size_t ${name}_input_size;
extern const size_t ${name}_output_size;
void ${name}(const float *x, float *y, size_t batch);
int main(void) {
  size_t fx_cap = 1024, fx_n = 0, fx_batch, fx_i;
  float *fx_x = malloc(fx_cap * sizeof(float)), *fx_y, fx_v;
  if (!fx_x) return 2;
  while (scanf("%f", &fx_v) == 1) {
    if (fx_n == fx_cap) { fx_cap *= 2; fx_x = realloc(fx_x, fx_cap * sizeof(float)); if (!fx_x) return 2; }
    fx_x[fx_n++] = fx_v;
  }
  if (fx_n % ${name}_input_size != 0) {
    fprintf(stderr, "driver: %lu values is not a multiple of %lu\\n", (unsigned long)fx_n, (unsigned long)${name}_input_size);
    return 3;
  }
  fx_batch = fx_n / ${name}_input_size;
  fx_y = malloc((fx_batch * ${name}_output_size + 1) * sizeof(float));
  if (!fx_y) return 2;
  ${name}(fx_x, fx_y, fx_batch);
  for (fx_i = 0; fx_i < fx_batch * ${name}_output_size; fx_i++) printf("%a\\n", (double)fx_y[fx_i]);
  free(fx_x);
  free(fx_y);
  return 0;
}
`;

function ccOrThrow(cc: string): void {
  const r = spawnSync(cc, ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined) {
    throw new ExportError(
      'compileC',
      `no C compiler: '${cc}' could not be run (${r.error.message}); install one, e.g. apt-get install -y gcc`,
    );
  }
}

/** A compiled C model: run it on inputs as often as needed, then `close()` to delete its files. */
export interface CompiledC {
  /** Runs the model on x (batch × input size floats); returns batch × output size floats. */
  run(x: Float32Array): Float32Array;
  /** Removes the temporary folder with the sources and the executable. */
  close(): void;
}

/**
 * Compiles C source from `exportModel(..., { format: 'c' })` with `cc -std=c99 -Wall -Werror -O2`
 * (plus `flags`) and links it with a driver that reads exact hexadecimal floats on stdin and
 * prints the outputs with `%a` (exact), so `run` returns exactly what the C code computed.
 * @throws ExportError when there is no compiler; Node's error (with the compiler's messages on
 *   stderr) when compiling fails.
 */
export function compileC(source: string, options: RunCOptions = {}): CompiledC {
  const cc = options.cc ?? 'cc';
  const name = options.name ?? 'predict';
  ccOrThrow(cc);
  const dir = mkdtempSync(join(tmpdir(), 'fluxion-c-'));
  try {
    writeFileSync(join(dir, 'model.c'), source);
    writeFileSync(join(dir, 'driver.c'), DRIVER(name));
    const build = (args: string[]): void => {
      try {
        execFileSync(cc, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
      } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new ExportError('compileC', `${cc} ${args.join(' ')} failed:\n${err.stderr ?? err.message}`);
      }
    };
    build([...C_FLAGS, ...(options.flags ?? []), '-c', 'model.c', '-o', 'model.o']);
    build(['-std=c99', '-O2', '-c', 'driver.c', '-o', 'driver.o']);
    build(['model.o', 'driver.o', '-o', 'model', '-lm']);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    run(x: Float32Array): Float32Array {
      // Exact hexadecimal floats (NAN and INFINITY are what scanf reads for those).
      const input = Array.from(x, hexDouble).join('\n');
      const stdout = execFileSync(join(dir, 'model'), { input: input + '\n', encoding: 'utf8', maxBuffer: 1 << 30 });
      return Float32Array.from(
        stdout.split('\n').filter((l) => l.trim() !== ''),
        parseHexFloat,
      );
    },
    close(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `compileC`, one `run`, `close`. @throws as `compileC`. */
export function runC(source: string, x: Float32Array, options: RunCOptions = {}): Float32Array {
  const m = compileC(source, options);
  try {
    return m.run(x);
  } finally {
    m.close();
  }
}
