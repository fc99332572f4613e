import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import { CLOSE_CODES, type ClientCommand } from '@tally/protocol';
import { isAppError } from '../app-error.js';
import type { Bus } from '../bus/bus.js';
import type { RunService } from '../runs/run-service.js';
import { listRunEvents } from '../runs/run-event-log.js';
import type { Db } from '../store/database.js';
import { ackFrame, errorFrame } from './frames.js';
import { parseClientFrame } from './parse-client-frame.js';
import { openRunSubscription, type RunSubscription } from './run-subscription.js';

export interface ConnectionDeps {
  db: Db;
  bus: Bus;
  runs: RunService;
  logger: Logger;
  limits: { floodFramesPerSecond: number; maxSubscriptions: number };
}

/**
 * One authenticated socket: its user, its subscriptions and its command queue, created on
 * connect and released on close. The user comes from the upgrade's credential, never a frame.
 */
export function handleConnection(socket: WebSocket, user: { id: string; email: string }, deps: ConnectionDeps): void {
  const { runs, logger } = deps;
  const subscriptions = new Map<string, RunSubscription>();
  let queue: Promise<void> = Promise.resolve();
  let windowStart = Date.now();
  let framesInWindow = 0;
  let closed = false;

  const send = (text: string) => {
    if (socket.readyState === socket.OPEN) socket.send(text);
  };

  async function subscribe(runId: string, threadId: string, afterSeq: number) {
    await subscriptions.get(runId)?.close();
    subscriptions.delete(runId);
    if (subscriptions.size >= deps.limits.maxSubscriptions) {
      // The oldest subscription makes room; a client watching that many runs has moved on.
      const [oldest] = subscriptions.values();
      await oldest?.close();
      if (oldest) subscriptions.delete(oldest.runId);
    }
    // A finished run ends its subscription inside the open call, before it is assigned here.
    let subscription: RunSubscription | undefined = undefined;
    subscription = await openRunSubscription({
      bus: deps.bus,
      runId,
      afterSeq,
      loadAfter: (seq) => listRunEvents(deps.db, { id: runId, thread_id: threadId }, seq),
      deliver: (raw) => send(raw),
      onEnd: () => {
        if (subscription && subscriptions.get(runId) === subscription) subscriptions.delete(runId);
      },
      onError: (error) => logger.warn({ err: error, runId }, 'replay from the run log failed'),
    });
    if (closed) await subscription.close();
    else if (!subscription.closed) subscriptions.set(runId, subscription);
  }

  async function dispatch(command: ClientCommand): Promise<void> {
    switch (command.type) {
      case 'send_message': {
        const started = await runs.start({ user, threadId: command.data.threadId, text: command.data.text, clientCommandId: command.id });
        send(ackFrame(command.id, { runId: started.runId, threadId: started.threadId, messageId: started.messageId }));
        // A resend after reconnect lands here too: the client gets the whole run from the log.
        await subscribe(started.runId, started.threadId, 0);
        return;
      }
      case 'subscribe': {
        const run = await runs.getOwned(user.id, command.data.runId);
        send(ackFrame(command.id, { runId: run.id, threadId: run.thread_id, status: run.status }));
        await subscribe(run.id, run.thread_id, command.data.afterSeq);
        return;
      }
      case 'unsubscribe': {
        await subscriptions.get(command.data.runId)?.close();
        subscriptions.delete(command.data.runId);
        send(ackFrame(command.id, { runId: command.data.runId }));
        return;
      }
      case 'stop_run': {
        const { status } = await runs.stop(user.id, command.data.runId);
        send(ackFrame(command.id, { runId: command.data.runId, status }));
        return;
      }
      case 'ping':
        send(ackFrame(command.id, { pong: true, ts: new Date().toISOString() }));
        return;
      default: {
        const never: never = command;
        throw new Error(`unhandled command ${JSON.stringify(never)}`);
      }
    }
  }

  function isFlooding(): boolean {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      framesInWindow = 0;
    }
    return ++framesInWindow > deps.limits.floodFramesPerSecond;
  }

  socket.on('message', (raw, isBinary) => {
    if (closed) return;
    if (isFlooding()) {
      closed = true;
      socket.close(CLOSE_CODES.POLICY_VIOLATION, 'RATE_LIMITED: too many frames');
      return;
    }
    if (isBinary) {
      send(errorFrame(null, 'FRAME_INVALID', 'Binary frames are not part of the protocol; send JSON text.'));
      return;
    }
    const parsed = parseClientFrame(raw.toString());
    if (!parsed.ok) {
      send(errorFrame(parsed.id, parsed.code, parsed.message));
      return;
    }
    // Commands of one socket run one after another, so their acks keep the order they were sent in.
    queue = queue.then(async () => {
      try {
        await dispatch(parsed.command);
      } catch (error) {
        if (isAppError(error)) {
          send(errorFrame(parsed.command.id, error.code, error.message));
        } else {
          logger.error({ err: error, command: parsed.command.type }, 'command failed');
          send(errorFrame(parsed.command.id, 'INTERNAL'));
        }
      }
    });
  });

  socket.on('close', () => {
    closed = true;
    for (const subscription of subscriptions.values()) void subscription.close();
    subscriptions.clear();
  });
  socket.on('error', (error) => logger.debug({ err: error }, 'socket error'));
}
