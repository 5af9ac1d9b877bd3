/**
 * Each supported elementwise op and reduction alone, on every special float (NaN, ±inf, ±0,
 * subnormal, huge) and on every pair of them for binary ops: the JS and C exports agree with
 * Fluxion, NaNs and infinities included. All C functions go in one file and one compile.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as core from '@fluxion/core';
import { astype, leakyRelu, matmul, max, min, reshape, stopGradient, sum, tensor, where, type Tensor } from '@fluxion/core';
import { exportModel } from '@fluxion/export';
import { C_FLAGS, importModule, parseHexFloat } from '@fluxion/export/node';
import { SPECIALS, maxUlps, note, observed } from './helpers.js';
import { hexDouble } from '../src/floats.js';

const F = SPECIALS.length;
const w = tensor(Float32Array.from(SPECIALS));
const u = (f: (x: Tensor) => Tensor) => (_: null, x: Tensor): Tensor => f(x);
const b = (f: (x: Tensor, y: Tensor) => Tensor) => (_: null, x: Tensor): Tensor =>
  reshape(f(reshape(x, [-1, F, 1]), w), [-1, F * F]);
const asF = (t: Tensor): Tensor => astype(t, 'float32');

const OPS: [string, (p: null, x: Tensor) => Tensor][] = [
  ...(['neg', 'exp', 'log', 'sqrt', 'sign', 'abs', 'sin', 'cos', 'tanh', 'sigmoid', 'softplus', 'relu', 'square'] as const).map(
    (n): [string, (p: null, x: Tensor) => Tensor] => [n, u(core[n] as (x: Tensor) => Tensor)],
  ),
  ['leakyRelu', u((x) => leakyRelu(x, 0.3))],
  ['astype', u((x) => asF(astype(x, 'bool')))],
  ['stopGradient', u(stopGradient)],
  ['sum', u((x) => sum(x, -1, true))],
  ['max', u((x) => max(x, -1, true))],
  ['min', u((x) => min(x, -1))],
  ['matmul', u((x) => matmul(x, reshape(w, [F, 1])))],
  ...(['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const).map((n): [string, (p: null, x: Tensor) => Tensor] => [
    n,
    b(core[n] as (x: Tensor, y: Tensor) => Tensor),
  ]),
  ...(['greater', 'greaterEqual', 'less', 'lessEqual', 'equal', 'notEqual'] as const).map(
    (n): [string, (p: null, x: Tensor) => Tensor] => [n, b((x, y) => asF((core[n] as (x: Tensor, y: Tensor) => Tensor)(x, y)))],
  ),
  ['where', b((x, y) => where(core.greater(x, y), x, y))],
];

// Rows: the specials, reversed, and scaled.
const X = Float32Array.from([...SPECIALS, ...[...SPECIALS].reverse(), ...SPECIALS.map((v, i) => v * (i - 6.5))]);
const BATCH = X.length / F;
const want = (f: (p: null, x: Tensor) => Tensor): Float32Array => f(null, tensor(X, { shape: [BATCH, F] })).toTypedArray() as Float32Array;

afterAll(() => {
  console.log(`max ulps on special values: ${JSON.stringify(Object.fromEntries(observed))}`);
});

describe('special values, op by op', () => {
  it('JS: every op agrees with Fluxion bit for bit', async () => {
    for (const [name, f] of OPS) {
      const m = await importModule(exportModel(f, null, { inputShape: [1, F], format: 'js' }));
      const d = maxUlps(m.default(X), want(f));
      note(`js ${name}`, d);
      expect(d, name).toBe(0);
    }
  });

  it('C: every op agrees with Fluxion (NaN and infinities exactly, finite values within 2 ulps)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxion-specials-'));
    try {
      const names = OPS.map(([n]) => `op_${n}`);
      const sources = OPS.map(([, f], i) => exportModel(f, null, { inputShape: [1, F], format: 'c', name: names[i]! }));
      writeFileSync(join(dir, 'ops.c'), sources.join('\n'));
      writeFileSync(
        join(dir, 'driver.c'),
        `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
${names.map((n) => `void ${n}(const float *x, float *y, size_t batch);\nextern const size_t ${n}_output_size;`).join('\n')}
static float x[${X.length}];
static float y[${BATCH * F * F}];
int main(int argc, char **argv) {
  size_t n = 0;
  if (argc < 2) return 1;
  while (n < ${X.length} && scanf("%f", &x[n]) == 1) n++;
${names.map((n) => `  if (strcmp(argv[1], "${n}") == 0) { ${n}(x, y, ${BATCH}); for (size_t i = 0; i < ${BATCH} * ${n}_output_size; i++) printf("%a\\n", (double)y[i]); }`).join('\n')}
  return 0;
}
`,
      );
      execFileSync('cc', [...C_FLAGS, '-c', 'ops.c', '-o', 'ops.o'], { cwd: dir, stdio: 'pipe' });
      execFileSync('cc', ['-std=c99', '-O2', 'driver.c', 'ops.o', '-o', 'ops', '-lm'], { cwd: dir, stdio: 'pipe' });
      const input = Array.from(X, hexDouble).join('\n') + '\n';
      OPS.forEach(([name, f], i) => {
        const out = execFileSync(join(dir, 'ops'), [names[i]!], { input, encoding: 'utf8' });
        const got = Float32Array.from(out.split('\n').filter((l) => l !== ''), parseHexFloat);
        const d = maxUlps(got, want(f));
        note(`c ${name}`, d);
        expect(d, name).toBeLessThanOrEqual(2);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
