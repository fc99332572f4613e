#!/usr/bin/env node
// Runs every check of the project, in order, and ends with one summary line
// `N passed, N failed, N skipped` that CI reads. Exit code is non-zero on any failure.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const extraArgs = process.argv.slice(2);
let failedChecks = 0;

function step(name, command, args) {
  process.stdout.write(`\n== ${name}: ${command} ${args.join(' ')}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env });
  const ok = result.status === 0;
  process.stdout.write(`== ${name}: ${ok ? 'ok' : `FAILED (exit ${result.status})`} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return ok;
}

if (extraArgs.length === 0) {
  if (!step('typecheck', npx, ['tsc', '-p', 'tsconfig.json', '--noEmit'])) failedChecks++;
  // The house rules' import directions (.dependency-cruiser.cjs): a forbidden import fails the run.
  if (!step('import boundaries', npx, ['depcruise', '--config', '.dependency-cruiser.cjs', 'packages', 'bench'])) failedChecks++;
  if (!step('web build', 'npm', ['run', 'build', '--silent', '-w', '@tally/web'])) failedChecks++;
}

// Multi-process cluster tests (nodes killed, Redis restarted, timing bounds) run after the rest,
// one file at a time, so the other files' load does not blur what they measure.
const CLUSTER = 'packages/server/test/cluster';
const runs = extraArgs.length > 0
  ? [{ name: 'tests', args: extraArgs }]
  : [
      { name: 'tests', args: ['--exclude', `${CLUSTER}/**`] },
      { name: 'cluster tests', args: [CLUSTER, '--no-file-parallelism'] },
    ];

let passed = 0;
let failed = 0;
let skipped = 0;
for (const run of runs) {
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tally-vitest-')), 'report.json');
  const ok = step(run.name, npx, ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...run.args]);
  let counted = 0;
  if (fs.existsSync(report)) {
    const json = JSON.parse(fs.readFileSync(report, 'utf8'));
    passed += json.numPassedTests ?? 0;
    const runFailed = (json.numFailedTests ?? 0) + (json.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
    failed += runFailed;
    counted = runFailed;
    skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
  }
  // A run that failed without a failing test (a crash, a setup error) still counts as one failure.
  if (!ok && counted === 0) failed += 1;
}
failed += failedChecks;
const ran = passed + failed;
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed > 0 || ran === 0 ? 1 : 0);
