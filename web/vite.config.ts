// Builds the dashboard into web/dist (`npm run build`); `npx vite web` serves
// it with hot reload, sending /api to a `millrace server` on the default port.
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [preact()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true },
  server: { proxy: { '/api': 'http://127.0.0.1:4680' } },
});
