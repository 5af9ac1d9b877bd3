import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@fluxion/source'] },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    setupFiles: ['./test/setup.ts'],
  },
});
