import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
/** Where `vite dev` sends API and WebSocket calls; override with TALLY_DEV_API. */
const api = process.env['TALLY_DEV_API'] ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  // React's automatic JSX runtime, through Vite 8's built-in oxc transform (no React plugin needed).
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    rolldownOptions: {
      output: {
        // The chart library (with its d3 and redux parts) and React change rarely: their own files
        // stay cached across releases of the app, and no single file is oversized.
        codeSplitting: {
          groups: [
            { name: 'charts', test: /node_modules[\\/](recharts|d3-[^\\/]+|victory-vendor|@reduxjs|redux|reselect|immer|decimal\.js-light|es-toolkit|eventemitter3)[\\/]/ },
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    proxy: {
      '/v1': { target: api, ws: true },
    },
  },
  preview: {
    proxy: {
      '/v1': { target: api, ws: true },
    },
  },
});
