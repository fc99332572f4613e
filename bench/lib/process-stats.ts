import fs from 'node:fs/promises';
import { spreadOf } from './round-stats.js';

/** Resident set size of a process, in bytes, from /proc/<pid>/status (VmRSS). */
export async function readRssBytes(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat. */
export async function readCpuMs(pid: number): Promise<number> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

/**
 * CPU time (user + system) used so far by each running process whose command name is `name`, in ms
 * by pid: a process started since an earlier reading counts from zero, and one that ended is left
 * out of both (its share is lost rather than subtracted).
 */
export async function readCpuMsOfAll(name: string): Promise<Map<number, number>> {
  const byPid = new Map<number, number>();
  for (const pid of await pidsNamed(name)) {
    // A process that ended since it was listed counts nothing.
    const ms = await readCpuMs(pid).catch(() => undefined);
    if (ms !== undefined) byPid.set(pid, ms);
  }
  return byPid;
}

/** The machine's CPU time so far, in ms summed over its cores: all of it, and the busy part (not idle or waiting for I/O). */
export async function readMachineCpuMs(): Promise<{ totalMs: number; busyMs: number }> {
  const line = (await fs.readFile('/proc/stat', 'utf8')).split('\n', 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal ...
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const totalTicks = ticks.reduce((a, b) => a + b, 0);
  const idleTicks = ticks[3]! + ticks[4]!;
  return { totalMs: (totalTicks * 1000) / 100, busyMs: ((totalTicks - idleTicks) * 1000) / 100 };
}

/** A process's CPU so far (ms), or each process's of a family by pid (readCpuMsOfAll). */
export type CpuReader = () => Promise<number | Map<number, number>>;

/**
 * Who used the machine's CPU over an interval: take one reading before and one after;
 * `sharesBetween` turns them into each process's share of ONE core (100 = a whole core) and the
 * machine's busy share of all its cores.
 */
export interface CpuReading {
  at: number;
  machine: { totalMs: number; busyMs: number };
  processes: Record<string, number | Map<number, number>>;
}

export async function readCpuReading(processes: Record<string, CpuReader>): Promise<CpuReading> {
  const entries = await Promise.all(Object.entries(processes).map(async ([name, read]) => [name, await read()] as const));
  return { at: performance.now(), machine: await readMachineCpuMs(), processes: Object.fromEntries(entries) };
}

export function sharesBetween(
  before: CpuReading,
  after: CpuReading,
): { machineBusyPercent: number; percentOfOneCore: Record<string, number>; usedMs: Record<string, number> } {
  const wallMs = after.at - before.at;
  const machineTotal = after.machine.totalMs - before.machine.totalMs;
  const used = (a: number | Map<number, number>, b: number | Map<number, number>) => {
    if (typeof a === 'number' || typeof b === 'number') return Number(b) - Number(a);
    let sum = 0;
    for (const [pid, ms] of b) sum += ms - (a.get(pid) ?? 0);
    return sum;
  };
  const usedMs = Object.fromEntries(Object.keys(before.processes).map((name) => [name, used(before.processes[name]!, after.processes[name]!)]));
  return {
    machineBusyPercent: machineTotal > 0 ? ((after.machine.busyMs - before.machine.busyMs) / machineTotal) * 100 : 0,
    percentOfOneCore: Object.fromEntries(Object.entries(usedMs).map(([name, ms]) => [name, (ms / wallMs) * 100])),
    usedMs,
  };
}

/** The rounds' CPU shares as one line: each process's median share of one core, then the machine's busy share. */
export function cpuSharesText(rounds: ReadonlyArray<ReturnType<typeof sharesBetween>>): string {
  const names = Object.keys(rounds[0]?.percentOfOneCore ?? {});
  const processes = names.map((name) => `${name} ${spreadOf(rounds.map((r) => r.percentOfOneCore[name]!)).median.toFixed(0)} %`);
  return `${processes.join(', ')}; machine ${spreadOf(rounds.map((r) => r.machineBusyPercent)).median.toFixed(0)} % busy`;
}

/**
 * The one running process whose command name is `name` (from /proc/<pid>/comm, which holds its first
 * 15 characters); undefined when none is, and an error when several are (the figure would mix them).
 */
export async function pidOf(name: string): Promise<number | undefined> {
  const found = await pidsNamed(name);
  if (found.length > 1) throw new Error(`${found.length} processes named ${name}: ${found.join(', ')}`);
  return found[0];
}

/** Every running process whose command name is `name` (/proc/<pid>/comm holds its first 15 characters). */
async function pidsNamed(name: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = await fs.readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === name.slice(0, 15)) found.push(Number(entry));
  }
  return found;
}
