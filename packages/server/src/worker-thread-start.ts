import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * The entry of a worker thread next to `from` (a module's import.meta.url): `.ts` under tsx, `.js`
 * when built. Read from the URL's path: a module tsx loaded inside a worker has a query after it.
 */
export function threadEntry(name: string, from: string): URL {
  return new URL(`./${name}${new URL(from).pathname.endsWith('.ts') ? '.ts' : '.js'}`, from);
}

/**
 * How a worker thread starts: from TypeScript sources (as `tally serve` runs, with tsx), through
 * tsx's own import, since Node 20 applies no --import loader to a worker's entry; the compiled
 * entry directly. Of the process's flags only CPU profiling goes along: a preload meant for the
 * process (a probe with an IPC listener) must not run once per thread.
 */
export function threadStart(entry: URL, from: string): { entry: URL | string; eval: boolean; execArgv: string[] } {
  const execArgv = process.execArgv.filter((a) => a.startsWith('--cpu-prof') || a === '--enable-source-maps');
  if (!entry.pathname.endsWith('.ts')) return { entry, eval: false, execArgv };
  // The ESM build of tsx's API (its CommonJS build cannot be imported from here).
  const tsxPackage = pathToFileURL(createRequire(from).resolve('tsx/package.json'));
  const tsx = new URL('./dist/esm/api/index.mjs', tsxPackage).href;
  const code = `import(${JSON.stringify(tsx)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(from)}))`;
  return { entry: code, eval: true, execArgv };
}
