import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    globalSetup: ['packages/server/test/support/global-setup.ts'],
    testTimeout: 30_000,
    // A file's beforeAll starts a node (store opened and migrated, people signed up); at load 22-28
    // on 2 cores that passed 60 s in 1 of 6 files with one worker and 4 of 6 with two, failing
    // files whose tests then never ran. A hook that hangs is still reported, later.
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at a time. Vitest's default is one fewer worker than cores, so on CI's 2-core
    // machine the whole batch ran one file at a time while much of a file's time is waiting (on
    // PostgreSQL, Redis, ClickHouse, a child process or Chromium) and its embedded store works on
    // a thread of its own. Not more: the other file's waits are what the second worker fills, and
    // more files at once only queue for the same 2 cores. `--no-file-parallelism` (the cluster
    // tests) still runs one at a time.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
