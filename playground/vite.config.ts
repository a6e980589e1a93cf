import { defineConfig } from 'vite';

// A static site: `vite build` writes dist/ (index.html, assets/, wasm/, models/ from public/).
export default defineConfig({
  base: './',
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  server: { fs: { allow: ['..'] } },
});
