import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { BACKGROUND_NICENESS } from '../../src/background-thread-priority.js';
import { threadStart } from '../../src/worker-thread-start.js';

describe.runIf(process.platform === 'linux')('a background thread lowers its own CPU priority', () => {
  it("lowers the thread's nice value, as the kernel reports it from another thread, and leaves the event loop's alone", async () => {
    const before = os.getPriority();
    const expected = Math.min(19, before + BACKGROUND_NICENESS);
    const start = threadStart(new URL('../support/priority-probe-thread.ts', import.meta.url), import.meta.url);
    const worker = new Worker(start.entry, { eval: start.eval, execArgv: start.execArgv });
    try {
      const said = await new Promise<{ lowered: boolean; tid: number; nice: number }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(said.lowered).toBe(true);
      expect(said.tid).not.toBe(process.pid);
      expect(said.nice).toBe(expected);
      // Seen from this thread, by the thread's kernel id: the thread's own value, not the process's.
      expect(os.getPriority(said.tid)).toBe(expected);
      expect(os.getPriority()).toBe(before);
      expect(os.getPriority(process.pid)).toBe(before);
    } finally {
      worker.postMessage('end');
      await new Promise((resolve) => worker.once('exit', resolve));
    }
  });
});
