/** Child-process entry of the load exporter (see otlp-exporter.ts). */
import { BATCH, makeRounds } from '../scenarios/otlp-ingest.js';
import type { ExporterPushResult, OtlpExporterChildMessage, OtlpExporterParentMessage } from './otlp-exporter.js';

let pools: Uint8Array<ArrayBuffer>[][] = [];
let pushing: { stop(): Promise<ExporterPushResult> } | undefined;
const reply = (m: OtlpExporterChildMessage) => process.send?.(m);

function push(requests: Uint8Array<ArrayBuffer>[], url: string, token: string, inFlight: number) {
  const result: ExporterPushResult = { stored: 0, refused: 0, seconds: 0 };
  const started = performance.now();
  let stopping = false;
  let sent = 0;
  const lanes = Array.from({ length: inFlight }, async () => {
    while (!stopping) {
      if (sent >= requests.length) throw new Error(`the round's ${requests.length} requests ran out before it ended`);
      const answer = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-protobuf' }, body: requests[sent++]! });
      await answer.arrayBuffer();
      if (answer.status === 429 || answer.status === 503) result.refused += 1;
      else if (answer.ok) result.stored += BATCH;
      else throw new Error(`an export answered ${answer.status}`);
    }
  });
  const done = Promise.all(lanes);
  // A failure is reported at stop; until then the lanes' rejection is held here.
  done.catch(() => undefined);
  return {
    async stop() {
      stopping = true;
      await done;
      result.seconds = (performance.now() - started) / 1000;
      return result;
    },
  };
}

process.on('message', (message: OtlpExporterParentMessage) => {
  if (message.type === 'prepare') {
    pools = makeRounds(message.rounds, message.requestsPerRound, { priced: false }).map((r) => r.requests);
    reply({ type: 'prepared' });
  } else if (message.type === 'push') {
    pushing = push(pools[message.round]!, message.url, message.token, message.inFlight);
  } else if (message.type === 'stop' && pushing) {
    const current = pushing;
    pushing = undefined;
    current.stop().then(
      (result) => reply({ type: 'stopped', result }),
      (error: unknown) => reply({ type: 'failed', message: error instanceof Error ? error.message : String(error) }),
    );
  }
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
