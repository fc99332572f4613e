import type { TestProject } from 'vitest/node';
import { makePgliteTemplate } from './pglite-template.js';
import { resolveServices } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
    redisUrl: string | null;
    /** A ClickHouse server's HTTP URL (no database: each file creates and drops its own). */
    clickhouseUrl: string | null;
    servicesMissing: Record<string, string>;
    /** An initialised, empty PGlite cluster that embedded test stores copy (pglite-template.ts). */
    pgliteTemplate: string | null;
  }
}

/**
 * Finds (or starts) the real services once for the whole run and hands their URLs to every file,
 * with the PGlite template embedded stores copy; the returned teardown stops what it started (the
 * throw-away ClickHouse) and removes the template when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [services, template] = await Promise.all([resolveServices(), makePgliteTemplate()]);
  const missing = Object.entries(services.missing);
  if (missing.length > 0) {
    const lines = missing.map(([name, why]) => `  ${name}: ${why}`).join('\n');
    if (process.env['CI'] === 'true') {
      await services.stop();
      await template.remove();
      throw new Error(`Real services are required under CI=true:\n${lines}`);
    }
    console.warn(`\n!!! Tests that need these services will be SKIPPED:\n${lines}\n`);
  }
  project.provide('postgresUrl', services.postgres);
  project.provide('redisUrl', services.redis);
  project.provide('clickhouseUrl', services.clickhouse);
  project.provide('servicesMissing', services.missing);
  project.provide('pgliteTemplate', template.dir);
  return async () => {
    await services.stop();
    await template.remove();
  };
}
