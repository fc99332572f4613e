import fs from 'node:fs';
import os from 'node:os';

/**
 * How much nicer than the process a thread whose work can wait (the OTLP reader) runs: 10 steps
 * give it about a tenth of the event loop's CPU weight when both want a core, and all of an idle one.
 */
export const BACKGROUND_NICENESS = 10;
/** The kernel's lowest priority. */
const NICEST = 19;

/**
 * Lowers the CPU priority of the calling thread only (Linux keeps a nice value per thread, and
 * `setpriority` with a thread's id changes that thread's), so bulk work on a worker thread yields
 * to the event loop that streams people's answers, on a machine with fewer cores than busy
 * threads. Relative to the value the thread inherited from the process; raising a nice value
 * needs no privilege. Returns false where the platform has no per-thread nice value (no
 * /proc/thread-self) or refuses: the thread then runs as before.
 */
export function lowerThisThreadPriority(by: number = BACKGROUND_NICENESS): boolean {
  try {
    const tid = thisThreadId();
    if (tid === null) return false;
    const nice = Math.min(NICEST, os.getPriority(tid) + by);
    os.setPriority(tid, nice);
    return os.getPriority(tid) === nice;
  } catch {
    return false;
  }
}

/** The kernel's id of the calling thread, which Node does not expose otherwise; null where there is no /proc/thread-self. */
export function thisThreadId(): number | null {
  try {
    // "<pid>/task/<tid>"
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}
