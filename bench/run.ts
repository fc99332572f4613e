/**
 * The bench runner: `npm run bench` (quick profile, under 10 minutes on 2 cores) or
 * `npm run bench -- --full` (every target at its stated size), `--only a,b` for some scenarios.
 * Each scenario measures Tally and its baseline side by side, alternating them; the runner prints
 * each figure as absolutes, ratio and verdict, merges the results into
 * bench/results/<profile>-latest.json (scenarios not run keep their last results) and renders
 * the table into docs/BENCHMARKS.md between its markers.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './lib/child.js';
import { markdownTable, textTable } from './lib/report.js';
import type { BenchProfile, ScenarioResult } from './lib/scenario.js';
import { SCENARIOS } from './scenarios/index.js';

const { values } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    only: { type: 'string' },
    /** Leave docs/BENCHMARKS.md as it is (e.g. while trying things out). */
    'no-docs': { type: 'boolean', default: false },
  },
});
const profile: BenchProfile = values.full ? 'full' : 'quick';
const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = only?.filter((name) => !SCENARIOS.some((s) => s.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(`bench: unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const selected = SCENARIOS.filter((s) => (only ? only.includes(s.name) : profile === 'full' || s.quick));

interface StoredResult extends ScenarioResult {
  /** ISO time the scenario finished; seconds it took. */
  finishedAt: string;
  seconds: number;
  error?: string;
  /** The machine as this scenario ran: cores, CPU, and the 1-minute load average at its start and end. */
  machine?: { cores: number; cpu: string; node: string; loadAtStart: number; loadAtEnd: number };
  /** 2 and up: the scenario was run again (e.g. with --only) over an earlier result of this profile. */
  attempt?: number;
}

interface ResultsFile {
  profile: BenchProfile;
  machine: MachineInfo;
  results: StoredResult[];
}

interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  loadAverageAtStart: number[];
}

async function machineInfo(): Promise<MachineInfo> {
  const release = await fs.readFile('/etc/os-release', 'utf8').catch(() => '');
  const pretty = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(release)?.[1];
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    os: `${pretty ?? os.type()} (kernel ${os.release()})`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

const resultsPath = path.join(REPO_ROOT, 'bench', 'results', `${profile}-latest.json`);
const docsPath = path.join(REPO_ROOT, 'docs', 'BENCHMARKS.md');
// Each profile has its table in the docs: the quick one (what `npm run bench` checks) and the full one.
const BEGIN = `<!-- bench:results:${profile}:begin -->`;
const END = `<!-- bench:results:${profile}:end -->`;

async function main() {
  const machine = await machineInfo();
  console.log(`bench: ${profile} profile, ${selected.map((s) => s.name).join(', ') || 'nothing'} on ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')}`);
  const started = Date.now();
  const fresh: StoredResult[] = [];
  for (const scenario of selected) {
    const t0 = Date.now();
    console.log(`\n== ${scenario.name}`);
    const log = (line: string) => console.log(`  [${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`);
    const loadAtStart = round2(os.loadavg()[0]!);
    const machineNow = () => ({ cores: machine.cores, cpu: machine.cpu, node: machine.node, loadAtStart, loadAtEnd: round2(os.loadavg()[0]!) });
    try {
      const result = await scenario.run({ profile, log });
      const stored: StoredResult = { ...result, finishedAt: new Date().toISOString(), seconds: Math.round((Date.now() - t0) / 100) / 10, machine: machineNow() };
      fresh.push(stored);
      console.log(textTable([result]));
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`  ${scenario.name} failed: ${message}`);
      fresh.push({ scenario: scenario.name, figures: [], finishedAt: new Date().toISOString(), seconds: Math.round((Date.now() - t0) / 100) / 10, error: message.split('\n')[0], machine: machineNow() });
      process.exitCode = 1;
    }
  }
  console.log(`\nbench: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const previous = await readResults();
  // A scenario run again with --only over an earlier result of this profile is marked as a re-run
  // (a whole-profile run starts the count again).
  for (const f of fresh) {
    const earlier = previous?.results.find((r) => r.scenario === f.scenario);
    if (earlier && only) f.attempt = (earlier.attempt ?? 1) + 1;
  }
  const order = SCENARIOS.map((s) => s.name);
  const merged = [...(previous?.results ?? []).filter((r) => !fresh.some((f) => f.scenario === r.scenario)), ...fresh].sort(
    (a, b) => order.indexOf(a.scenario) - order.indexOf(b.scenario),
  );
  const file: ResultsFile = { profile, machine, results: merged };
  await fs.mkdir(path.dirname(resultsPath), { recursive: true });
  await fs.writeFile(resultsPath, JSON.stringify(file, null, 2) + '\n');
  console.log(`\n${textTable(merged)}\n\nresults: ${path.relative(REPO_ROOT, resultsPath)}`);
  if (!values['no-docs']) await renderDocs(file);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

async function readResults(): Promise<ResultsFile | undefined> {
  try {
    const file = JSON.parse(await fs.readFile(resultsPath, 'utf8')) as ResultsFile;
    return file.profile === profile ? file : undefined;
  } catch {
    return undefined;
  }
}

async function renderDocs(file: ResultsFile) {
  const docs = await fs.readFile(docsPath, 'utf8').catch(() => '');
  const begin = docs.indexOf(BEGIN);
  const end = docs.indexOf(END);
  if (begin < 0 || end < begin) {
    console.log(`docs: no ${BEGIN} … ${END} markers in docs/BENCHMARKS.md; table not written`);
    return;
  }
  const m = file.machine;
  const when = file.results.map((r) => `${r.scenario} ${r.finishedAt.slice(0, 16).replace('T', ' ')}Z (${r.seconds} s${r.machine ? `, ${r.machine.cores} cores, load ${r.machine.loadAtStart} → ${r.machine.loadAtEnd}` : ''}${r.attempt ? `, **re-run #${r.attempt - 1}**` : ''})`).join(', ');
  const failed = file.results.filter((r) => r.error).map((r) => `- **${r.scenario}** failed: ${r.error}`);
  const body = [
    `Profile **${file.profile}**, ${m.cores} cores (${m.cpu}), ${m.memoryGb} GB RAM, ${m.os}, Node ${m.node}; load average at start ${m.loadAverageAtStart.join(' ')}.`,
    `Scenarios run: ${when}.`,
    '',
    markdownTable(file.results),
    ...(failed.length ? ['', ...failed] : []),
  ].join('\n');
  await fs.writeFile(docsPath, `${docs.slice(0, begin + BEGIN.length)}\n${body}\n${docs.slice(end)}`);
  console.log('docs: docs/BENCHMARKS.md updated');
}

await main();
// Keep-alive agents and timers of the harness must not keep it running.
process.exit();
