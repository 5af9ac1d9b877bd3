/**
 * The main entry runs in browsers: no source file except src/node.ts may use Node APIs. (The build
 * enforces it too: tsconfig.lib.json compiles them without Node types.)
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const srcDir = new URL('../src/', import.meta.url);

describe('browser safety', () => {
  const files = readdirSync(srcDir).filter((f) => f.endsWith('.ts') && f !== 'node.ts');
  it('has source files to check', () => expect(files.length).toBeGreaterThan(5));
  for (const f of files) {
    it(`src/${f} uses no Node module or global`, () => {
      const code = readFileSync(new URL(f, srcDir), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(code).not.toMatch(/from ['"](node:|fs|path|os|crypto|child_process)['"]|\brequire\(|\bprocess\.|\bBuffer\b|__dirname/);
    });
  }
  it('index.ts does not import the Node adapter', () => {
    expect(readFileSync(new URL('index.ts', srcDir), 'utf8')).not.toMatch(/node\.js/);
  });
});
