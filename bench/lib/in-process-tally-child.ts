import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchTallyOptions, RunWrites } from './in-process-tally.js';

/**
 * Starts a bench's Tally node in a child process (in-process-tally-main.ts), so the harness's own
 * clients do not share its event loop or its CPU time: the measured process is Tally alone.
 */
export interface TallyChild {
  baseUrl: string;
  wsUrl: string;
  pid: number;
  /** Per-run event-log writes since the last reset (`sql` log only); `reset` clears them after. */
  writes(reset?: boolean): Promise<RunWrites[]>;
  close(): Promise<void>;
}

export type TallyParentMessage =
  | { type: 'start'; options: BenchTallyOptions }
  | { type: 'writes'; id: number; reset: boolean }
  | { type: 'close' };
export type TallyChildMessage =
  | { type: 'listening'; baseUrl: string; wsUrl: string }
  | { type: 'failed'; message: string }
  | { type: 'writes'; id: number; writes: RunWrites[] };

export async function startTallyChild(options: BenchTallyOptions): Promise<TallyChild> {
  const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'in-process-tally-main.ts');
  // BENCH_TALLY_CPU_PROF=<dir> writes a CPU profile of the node, to find where its time goes.
  const profileDir = process.env['BENCH_TALLY_CPU_PROF'];
  const execArgv = ['--import', 'tsx', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
  const child = fork(entry, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, (writes: RunWrites[]) => void>();
  let nextId = 0;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const urls = await new Promise<{ baseUrl: string; wsUrl: string }>((done, fail) => {
    const onExit = (code: number | null) => fail(new Error(`bench tally: the child process exited (${code}) before listening`));
    child.once('exit', onExit);
    child.on('message', (message: TallyChildMessage) => {
      if (message.type === 'listening') {
        child.off('exit', onExit);
        done(message);
      } else if (message.type === 'failed') {
        fail(new Error(`bench tally: ${message.message}`));
      } else if (message.type === 'writes') {
        waiting.get(message.id)?.(message.writes);
        waiting.delete(message.id);
      }
    });
    child.send({ type: 'start', options } satisfies TallyParentMessage);
  });
  return {
    ...urls,
    pid: child.pid!,
    writes: (reset = false) =>
      new Promise((done) => {
        const id = nextId++;
        waiting.set(id, done);
        child.send({ type: 'writes', id, reset } satisfies TallyParentMessage);
      }),
    async close() {
      if (child.exitCode === null) child.send({ type: 'close' } satisfies TallyParentMessage);
      await exited;
    },
  };
}
