/**
 * The baseline of the real-time scenarios: a bare `ws` server, no auth, routing or storage,
 * emitting the same frames as Tally on the same schedule. A `send_message` command gets an ack,
 * then the frames of a run recorded from Tally (the template file: one JSON frame per line) with
 * fresh ids, seqs and times, its block of message_delta frames replaced by `--deltas` of them (one
 * per chunk the mock LLM writes; the recorded run may have joined chunks) `--delta-delay-ms`
 * apart (the mock LLM's pace), each carrying the wall time it was sent, as the mock LLM writes it.
 * A message holding `chunksMarker(n)` gets n deltas, as the mock LLM answers it.
 *
 *   node --import tsx bench/baselines/bare-ws-server.ts [--template FILE] [--deltas 100] [--delta-delay-ms 20]
 *
 * Prints `bare-ws listening on <port>` when ready.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { WebSocketServer, type WebSocket } from 'ws';
import { chunksAskedIn, sentAtMarker } from '../lib/mock-llm.js';

const { values } = parseArgs({ options: { template: { type: 'string' }, deltas: { type: 'string', default: '100' }, 'delta-delay-ms': { type: 'string', default: '20' } } });
const deltaDelayMs = Number(values['delta-delay-ms']);
const recorded: Array<{ type: string; data: Record<string, unknown> }> = values.template
  ? fs.readFileSync(values.template, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line))
  : [];
const templates = new Map<number, typeof recorded>();
/** The run's frames for `count` deltas, built once per count. */
function templateOf(count: number): typeof recorded {
  let template = templates.get(count);
  if (!template) templates.set(count, (template = withDeltas(recorded, count)));
  return template;
}

/** The recorded frames with their deltas replaced, where the first one was, by `count` deltas (one per LLM chunk). */
function withDeltas(frames: typeof recorded, count: number): typeof recorded {
  const first = frames.findIndex((f) => f.type === 'message_delta');
  if (first < 0) return frames;
  const others = frames.filter((f) => f.type !== 'message_delta');
  const delta = frames[first]!;
  const before = frames.slice(0, first).length;
  return [...others.slice(0, before), ...Array.from({ length: count }, () => delta), ...others.slice(before)];
}
const WORDS = ['Most', 'of', 'your', 'spend', 'goes', 'to', 'one', 'model;', 'moving', 'batch', 'traffic', 'saves', 'the', 'most.'];

// The same socket options as Tally's gateway: no compression, the same frame size bound.
const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 64 * 1024 });

server.on('connection', (socket) => {
  socket.on('message', (raw) => {
    const command = JSON.parse(raw.toString()) as { id: string; type: string; data?: { text?: string } };
    if (command.type === 'send_message') {
      const runId = randomUUID();
      const threadId = randomUUID();
      socket.send(JSON.stringify({ v: 1, type: 'ack', id: command.id, data: { runId, threadId, messageId: randomUUID() } }));
      emitRun(socket, runId, threadId, templateOf(chunksAskedIn(command.data?.text ?? '') ?? Number(values.deltas)));
    } else {
      socket.send(JSON.stringify({ v: 1, type: 'ack', id: command.id, data: { pong: true, ts: new Date().toISOString() } }));
    }
  });
});

/** The template's frames in order: the ones before, between and after the deltas at once, the deltas at the LLM's pace. */
function emitRun(socket: WebSocket, runId: string, threadId: string, template: typeof recorded) {
  let index = 0;
  let deltas = 0;
  const frame = (event: { type: string; data: Record<string, unknown> }, data = event.data) =>
    JSON.stringify({ v: 1, type: event.type, runId, threadId, seq: index + 1, ts: new Date().toISOString(), data });
  const step = () => {
    while (index < template.length && socket.readyState === socket.OPEN) {
      const event = template[index]!;
      if (event.type === 'message_delta') {
        socket.send(frame(event, { ...event.data, text: `${sentAtMarker()} ${WORDS[deltas % WORDS.length]} ` }));
        index++;
        deltas++;
        if (template[index]?.type === 'message_delta' && deltaDelayMs > 0) {
          setTimeout(step, deltaDelayMs);
          return;
        }
        continue;
      }
      socket.send(frame(event));
      index++;
    }
  };
  step();
}

server.on('listening', () => {
  const address = server.address();
  console.log(`bare-ws listening on ${typeof address === 'object' && address ? address.port : address}`);
});
process.on('SIGTERM', () => {
  for (const client of server.clients) client.terminate();
  server.close(() => process.exit(0));
});
