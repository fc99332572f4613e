import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProbeAnswer, ProbeRequest } from './process-probe.js';
import { readRssBytes } from './process-stats.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROBE = path.join(REPO_ROOT, 'bench', 'lib', 'process-probe.ts');

/** A measured child process (Tally or a baseline) with the probe loaded. */
export interface MeasuredProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** RSS from /proc, in bytes. */
  rss(): Promise<number>;
  /** Asks the probe inside the process (event-loop delay, heap; optionally after a full GC). */
  probe(options?: { gc?: boolean; resetLoopDelay?: boolean }): Promise<ProbeAnswer>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** Lines the process wrote (stdout and stderr), the last 200, for error messages. */
  tail(): string;
}

/**
 * Starts `node --import tsx --import <probe> [--expose-gc] <script> ...args` with an IPC channel,
 * and resolves once `ready(line)` returns a value for a line of its output.
 */
export async function startMeasuredProcess<T>(options: {
  script: string;
  args?: string[];
  env?: Record<string, string>;
  /** Extra node flags, e.g. --max-old-space-size. */
  nodeFlags?: string[];
  ready: (line: string) => T | undefined;
  timeoutMs?: number;
  /** A file to append every line the process writes to (its stdout and stderr), to read after a run. */
  outputFile?: string;
}): Promise<{ process: MeasuredProcess; ready: T }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', PROBE, '--expose-gc', ...(options.nodeFlags ?? []), options.script, ...(options.args ?? [])],
    { cwd: REPO_ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  const lines: string[] = [];
  let nextId = 1;
  const waiting = new Map<number, (answer: ProbeAnswer) => void>();
  child.on('message', (message: ProbeAnswer) => {
    if (message?.type === 'bench:probe') waiting.get(message.id)?.(message);
    waiting.delete(message?.id);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const ready = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running behind the error: its data folder is removed next.
      child.kill('SIGKILL');
      reject(new Error(`${options.script} did not start within ${options.timeoutMs ?? 60_000} ms:\n${lines.join('\n')}`));
    }, options.timeoutMs ?? 60_000);
    let settled = false;
    const onLine = (line: string) => {
      if (options.outputFile) fs.appendFileSync(options.outputFile, `${line}\n`);
      lines.push(line);
      if (lines.length > 200) lines.shift();
      if (settled) return;
      const value = options.ready(line);
      if (value !== undefined) {
        settled = true;
        clearTimeout(timer);
        resolve(value);
      }
    };
    for (const stream of [child.stdout!, child.stderr!]) {
      let buffer = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffer += chunk;
        let index: number;
        while ((index = buffer.indexOf('\n')) >= 0) {
          onLine(buffer.slice(0, index));
          buffer = buffer.slice(index + 1);
        }
      });
    }
    child.once('exit', (code) => {
      if (!settled) {
        clearTimeout(timer);
        reject(new Error(`${options.script} exited with ${code} before it was ready:\n${lines.join('\n')}`));
      }
    });
  });

  const measured: MeasuredProcess = {
    pid: child.pid!,
    child,
    rss: () => readRssBytes(child.pid!),
    probe(probeOptions = {}) {
      const id = nextId++;
      const request: ProbeRequest = { type: 'bench:probe', id, ...probeOptions };
      return new Promise<ProbeAnswer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the probe did not answer within 30 s')), 30_000);
        waiting.set(id, (answer) => {
          clearTimeout(timer);
          resolve(answer);
        });
        child.send(request);
      });
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    tail: () => lines.join('\n'),
  };
  return { process: measured, ready };
}
