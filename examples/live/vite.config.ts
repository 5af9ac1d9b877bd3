import { defineConfig, defaultClientConditions } from 'vite';

// The workspace packages export a `@fluxion/source` condition pointing at their TypeScript
// sources: the page uses them directly, so nothing needs `pnpm build` first.
export default defineConfig({
  resolve: { conditions: ['@fluxion/source', ...defaultClientConditions] },
  build: { target: 'es2022', chunkSizeWarningLimit: 1024 },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
