import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { RunEvent } from '@tally/protocol';
import { createWsClient, type WsClient } from './ws-client.js';

const RUN = '11111111-1111-4111-8111-111111111111';
const THREAD = '22222222-2222-4222-8222-222222222222';
const WORKSPACE = '33333333-3333-4333-8333-333333333333';
const MSG = '33333333-3333-4333-8333-333333333333';

const event = (seq: number, type: RunEvent['type'] = 'agent_thinking'): RunEvent =>
  ({
    v: 1,
    type,
    runId: RUN,
    threadId: THREAD,
    seq,
    ts: new Date(seq * 1000).toISOString(),
    data:
      type === 'run_completed'
        ? { messageId: MSG, answer: 'done', report: null }
        : type === 'run_queued'
          ? { messageId: MSG, text: 'q' }
          : { agent: 'data', text: `t${seq}` },
  }) as RunEvent;

interface Frame {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

/**
 * The client over a real `ws` socket pair, against an in-process scripted server: checks that
 * the `ws` package fits the WebSocket the client expects, and the reconnect path end to end.
 */
describe('createWsClient with the ws package', () => {
  let server: WebSocketServer | undefined;
  let client: WsClient | undefined;
  afterEach(async () => {
    client?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('streams, survives a dropped connection and resumes without loss or duplicate', async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => server!.once('listening', resolve));
    const port = (server.address() as AddressInfo).port;
    const urls: string[] = [];
    const connections: Array<{ frames: Frame[] }> = [];
    const sendMessageIds: string[] = [];

    server.on('connection', (socket, request) => {
      urls.push(request.url ?? '');
      const conn = { frames: [] as Frame[] };
      connections.push(conn);
      const push = (frame: unknown) => socket.send(JSON.stringify(frame));
      socket.on('message', (raw) => {
        const frame = JSON.parse(raw.toString()) as Frame;
        conn.frames.push(frame);
        if (frame.type === 'send_message') {
          sendMessageIds.push(frame.id);
          if (connections.length === 1) {
            // First connection: the run starts, two events go out, then the link dies before the ack.
            push(event(1, 'run_queued'));
            push(event(2));
            setTimeout(() => socket.terminate(), 20);
          } else {
            push({ v: 1, type: 'ack', id: frame.id, data: { runId: RUN, threadId: THREAD, messageId: MSG } });
            // The server replays the whole run to a resend: 1 and 2 again, then the rest.
            for (const s of [1, 2, 3]) push(event(s));
            push(event(4, 'run_completed'));
          }
        } else if (frame.type === 'subscribe') {
          push({ v: 1, type: 'ack', id: frame.id, data: { runId: RUN, threadId: THREAD, status: 'running' } });
        } else if (frame.type === 'ping') {
          push({ v: 1, type: 'ack', id: frame.id, data: { pong: true } });
        }
      });
    });

    let tickets = 0;
    client = createWsClient({
      url: `http://127.0.0.1:${port}`,
      WebSocket,
      auth: { ticket: async () => `t${++tickets}` },
      backoff: { initialMs: 20 },
      heartbeatMs: 0,
    });
    const seen: number[] = [];
    const done = new Promise<void>((resolve) =>
      client!.on('event', (e) => {
        seen.push(e.seq);
        if (e.type === 'run_completed') resolve();
      }),
    );
    await client.connect();
    expect(await client.ping()).toBeGreaterThanOrEqual(0);
    const ack = await client.sendMessage({ workspaceId: WORKSPACE, text: 'Where is my AI money going?' });
    expect(ack.runId).toBe(RUN);
    await done;

    expect(seen).toEqual([1, 2, 3, 4]);
    expect(urls).toEqual(['/v1/ws?ticket=t1', '/v1/ws?ticket=t2']);
    expect(sendMessageIds).toHaveLength(2);
    expect(sendMessageIds[0]).toBe(sendMessageIds[1]);
    // On the new socket the message is resent first: its run's workspace is known from the ack
    // only (which the first socket never got), and the server answers the resend with the whole run.
    expect(connections[1]!.frames[0]).toMatchObject({ type: 'send_message', id: sendMessageIds[0], data: { workspaceId: WORKSPACE } });
  });
});
