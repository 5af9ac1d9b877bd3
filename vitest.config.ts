import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@fluxion/source'] },
  // Tests run in Vite's SSR environment, which has its own conditions: without this line the
  // workspace packages resolve to a (possibly stale) dist/ build once one exists.
  ssr: { resolve: { conditions: ['@fluxion/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    setupFiles: ['./test/setup.ts'],
  },
});
