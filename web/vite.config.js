// Two pages: the consumer portal (/) and the control room (/control/). `npm run build` writes
// them to dist/, which `vidyut serve --web web/dist` serves beside the API.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline scripts or styles: the pages' content security policy allows only files.
    assetsInlineLimit: 0,
    rollupOptions: {
      input: {
        portal: resolve(import.meta.dirname, 'index.html'),
        control: resolve(import.meta.dirname, 'control/index.html'),
      },
    },
  },
});
