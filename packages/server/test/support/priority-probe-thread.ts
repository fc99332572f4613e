import { parentPort } from 'node:worker_threads';
import os from 'node:os';
import { lowerThisThreadPriority, thisThreadId } from '../../src/background-thread-priority.js';

/** A worker thread that lowers its own priority, says what the kernel now reports for it, and waits to be ended. */
const lowered = lowerThisThreadPriority();
const tid = thisThreadId()!;
parentPort!.postMessage({ lowered, tid, nice: os.getPriority(tid) });
parentPort!.on('message', () => process.exit(0));
