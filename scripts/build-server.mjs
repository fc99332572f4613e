#!/usr/bin/env node
// Builds `tally` for a production image (Dockerfile): the server, protocol and client sources
// (TypeScript) bundled into plain JavaScript in packages/server/dist/, with every npm package left as an
// import from node_modules (installed with `npm ci --omit=dev`), so no TypeScript loader (tsx, a
// dev dependency) is needed at run time. The worker threads' entries sit beside main.js, where
// worker-thread-start.ts looks for them, and so do the files the code reads next to itself.
import fs from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
// Inside the server package: npm nests some of its dependencies in packages/server/node_modules.
// Another folder may be given (the container-files test builds into a temp folder).
const out = path.resolve(process.argv[2] ?? path.join(root, 'packages/server/dist'));
const src = path.join(root, 'packages/server/src');

/** npm packages stay external; the workspace's own packages (TypeScript sources) are bundled. */
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@tally/') || args.path.startsWith('node:')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

await fs.rm(out, { recursive: true, force: true });
await build({
  entryPoints: {
    main: path.join(src, 'cli/main.ts'),
    'run-thread-entry': path.join(src, 'run-thread-entry.ts'),
    'pglite-thread-entry': path.join(src, 'store/pglite-thread-entry.ts'),
    'otlp-reader-thread-entry': path.join(src, 'usage/otlp/otlp-reader-thread-entry.ts'),
  },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  plugins: [externalPackages],
  logLevel: 'warning',
});
await fs.copyFile(path.join(src, 'auth/common-passwords.txt'), path.join(out, 'common-passwords.txt'));
console.log(`build-server: ${path.relative(root, out)}/main.js`);
