import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { inject } from 'vitest';

/**
 * An embedded data folder whose PGlite cluster is already initialised. Creating a PGlite cluster
 * in an empty folder runs initdb in WebAssembly, by far the largest part of opening a fresh
 * embedded store (measured 4-5x the open of an initialised one); every in-process test app paid
 * it. Global setup initialises one cluster, empty (no migration: each store still walks every
 * migration through the product's own open and migrate), and each test copies it. What the
 * product does with the folder is unchanged: openDatabase opens `<dataDir>/pglite` as it finds it.
 */

/** Made once by global setup: an initialised, empty PGlite cluster (no table of ours). */
export async function makePgliteTemplate(): Promise<{ dir: string; remove(): Promise<void> }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-pglite-template-'));
  const dir = path.join(root, 'pglite');
  const pglite = await PGlite.create(dir);
  await pglite.close();
  return { dir, remove: () => fs.rm(root, { recursive: true, force: true }) };
}

/**
 * A new temp data folder (`prefix` names it) holding a copy of the template cluster in `pglite/`,
 * where openDatabase looks. Without a template (a file run outside global setup) the folder is
 * empty and PGlite initialises it on open, as in production.
 */
export async function newEmbeddedDataDir(prefix: string): Promise<string> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const template = inject('pgliteTemplate');
  if (template) await fs.cp(template, path.join(dataDir, 'pglite'), { recursive: true });
  return dataDir;
}
