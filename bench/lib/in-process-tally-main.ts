/** Child-process entry of a bench's Tally node (see in-process-tally-child.ts). */
import { startBenchTally, type BenchTally } from './in-process-tally.js';
import type { TallyChildMessage, TallyParentMessage } from './in-process-tally-child.js';

let tally: BenchTally | undefined;
const reply = (message: TallyChildMessage) => process.send?.(message);

process.on('message', (message: TallyParentMessage) => {
  switch (message.type) {
    case 'start':
      startBenchTally(message.options).then(
        (started) => {
          tally = started;
          reply({ type: 'listening', baseUrl: started.baseUrl, wsUrl: started.wsUrl });
        },
        (error: unknown) => {
          reply({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
          process.exit(1);
        },
      );
      return;
    case 'writes':
      reply({ type: 'writes', id: message.id, writes: tally?.writes() ?? [] });
      if (message.reset) tally?.resetWrites();
      return;
    case 'close':
      void (tally?.close() ?? Promise.resolve()).finally(() => process.exit(0));
      return;
  }
});
process.on('disconnect', () => void (tally?.close() ?? Promise.resolve()).finally(() => process.exit(0)));
