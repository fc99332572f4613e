import { parentPort } from 'node:worker_threads';
import fs from 'node:fs';
import os from 'node:os';
import { lowerThisThreadPriority } from '../../src/background-thread-priority.js';

/** A worker thread that lowers its own priority, says what the kernel now reports for it, and waits to be ended. */
const lowered = lowerThisThreadPriority();
const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
parentPort!.postMessage({ lowered, tid, nice: os.getPriority(tid) });
parentPort!.on('message', () => process.exit(0));
