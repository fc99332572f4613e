import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import { CLOSE_CODES, type ClientCommand, type ThreadActivityFrame } from '@tally/protocol';
import { isAppError } from '../app-error.js';
import { channels, type Bus } from '../bus/bus.js';
import type { RunService } from '../runs/run-service.js';
import { listRunEvents } from '../runs/run-event-log.js';
import type { Db } from '../store/database.js';
import type { ThreadService } from '../threads/thread-service.js';
import type { SessionsRevokedMessage } from '../auth/session-service.js';
import { ackFrame, errorFrame } from './frames.js';
import { parseClientFrame } from './parse-client-frame.js';
import { openRunSubscription, type RunSubscription } from './run-subscription.js';
import { createSocketSender, type SocketSenderLimits } from './socket-sender.js';

export interface ConnectionDeps {
  db: Db;
  bus: Bus;
  runs: RunService;
  threads: ThreadService;
  logger: Logger;
  limits: { floodFramesPerSecond: number; maxSubscriptions: number; maxWatchedThreads: number; send: SocketSenderLimits };
}

/** What the gateway keeps of a live connection, for heartbeats, resyncs and shutdown. */
export interface ConnectionHandle {
  /** Replays what the bus may have lost (after a bus reconnect) from the run logs. */
  resync(): void;
  /** Ends the connection's subscriptions (the socket is closed by the caller). */
  release(): Promise<void>;
}

/**
 * One authenticated socket: its user, its subscriptions, the threads it watches and its command
 * queue, created on connect and released on close. The user comes from the upgrade's
 * credential, never from a frame.
 */
export function handleConnection(socket: WebSocket, user: { id: string; email: string; sessionId?: string }, deps: ConnectionDeps): ConnectionHandle {
  const { runs, logger } = deps;
  const subscriptions = new Map<string, RunSubscription>();
  const watched = new Set<string>();
  const sender = createSocketSender(socket, deps.limits.send);
  let queue: Promise<void> = Promise.resolve();
  let windowStart = Date.now();
  let framesInWindow = 0;
  let closed = false;

  // Methods of one object, not named inner functions: with the runtime's kept function names each
  // of those cost every socket a property store of its own.
  const self = {
    async subscribe(runId: string, threadId: string, afterSeq: number) {
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
        deliver: (raw, event) => sender.send(raw, event.type === 'message_delta' ? { runId, agent: agentOf(raw) } : undefined),
        onEnd: () => {
          if (subscription && subscriptions.get(runId) === subscription) subscriptions.delete(runId);
        },
        onError: (error) => logger.warn({ err: error, runId }, 'replay from the run log failed'),
      });
      if (closed) await subscription.close();
      else if (!subscription.closed) subscriptions.set(runId, subscription);
    },
    async dispatch(command: ClientCommand): Promise<void> {
      switch (command.type) {
        case 'send_message': {
          const { threadId, text, onBusy } = command.data;
          const started = await runs.start({ user, threadId, text, onBusy, clientCommandId: command.id });
          sender.send(ackFrame(command.id, { runId: started.runId, threadId: started.threadId, messageId: started.messageId }));
          // A resend after reconnect lands here too: the client gets the whole run from the log.
          await self.subscribe(started.runId, started.threadId, 0);
          return;
        }
        case 'subscribe': {
          const run = await runs.getOwned(user.id, command.data.runId);
          sender.send(ackFrame(command.id, { runId: run.id, threadId: run.thread_id, status: run.status }));
          await self.subscribe(run.id, run.thread_id, command.data.afterSeq);
          return;
        }
        case 'unsubscribe': {
          await subscriptions.get(command.data.runId)?.close();
          subscriptions.delete(command.data.runId);
          sender.send(ackFrame(command.id, { runId: command.data.runId }));
          return;
        }
        case 'watch_thread': {
          const { threadId } = command.data;
          await deps.threads.get(user.id, threadId);
          if (!watched.has(threadId) && watched.size >= deps.limits.maxWatchedThreads) {
            const [oldest] = watched;
            if (oldest) watched.delete(oldest);
          }
          watched.add(threadId);
          const active = await runs.activeInThread(user.id, threadId);
          sender.send(ackFrame(command.id, { threadId, activeRunIds: active.map((r) => r.id) }));
          for (const run of active) if (!subscriptions.has(run.id)) await self.subscribe(run.id, threadId, 0);
          return;
        }
        case 'unwatch_thread':
          watched.delete(command.data.threadId);
          sender.send(ackFrame(command.id, { threadId: command.data.threadId }));
          return;
        case 'stop_run': {
          const { status } = await runs.stop(user.id, command.data.runId);
          sender.send(ackFrame(command.id, { runId: command.data.runId, status }));
          return;
        }
        case 'ping':
          sender.send(ackFrame(command.id, { pong: true, ts: new Date().toISOString() }));
          return;
        default: {
          const never: never = command;
          throw new Error(`unhandled command ${JSON.stringify(never)}`);
        }
      }
    },
    /** Another tab or device of this user started or ended a run: tell this socket, follow it if watched. */
    onActivity(raw: string) {
      if (closed) return;
      sender.send(raw);
      const activity = JSON.parse(raw) as ThreadActivityFrame;
      if (activity.status === 'queued' && watched.has(activity.threadId) && !subscriptions.has(activity.runId)) {
        queue = queue.then(() => self.subscribe(activity.runId, activity.threadId, 0)).catch((error) => logger.warn({ err: error }, 'following a watched thread failed'));
      }
    },
    isFlooding(): boolean {
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        framesInWindow = 0;
      }
      return ++framesInWindow > deps.limits.floodFramesPerSecond;
    },
    /** The session behind this socket was revoked (log-out, password change, stolen token): close it. */
    onControl(raw: string) {
      const message = JSON.parse(raw) as SessionsRevokedMessage;
      if (message.type === 'sessions_revoked' && user.sessionId && message.sessionIds.includes(user.sessionId)) {
        closed = true;
        socket.close(CLOSE_CODES.UNAUTHORIZED, 'AUTH_SESSION_REVOKED: sign in again');
      }
    },
    async release() {
      closed = true;
      sender.dispose();
      const all = [...subscriptions.values()];
      subscriptions.clear();
      await Promise.allSettled([activity.then((off) => off()), control.then((off) => off()), ...all.map((s) => s.close())]);
    },
  };

  // Listeners are attached at once so no early frame is lost; commands wait for the subscriptions.
  const activity = deps.bus.subscribe(channels.userActivity(user.id), (raw) => self.onActivity(raw));
  const control = deps.bus.subscribe(channels.userControl(user.id), (raw) => self.onControl(raw));
  queue = Promise.all([activity, control]).then(
    () => undefined,
    (error) => logger.warn({ err: error }, 'subscribing to user channels failed'),
  );

  socket.on('message', (raw, isBinary) => {
    if (closed) return;
    if (self.isFlooding()) {
      closed = true;
      socket.close(CLOSE_CODES.POLICY_VIOLATION, 'RATE_LIMITED: too many frames');
      return;
    }
    if (isBinary) {
      sender.send(errorFrame(null, 'FRAME_INVALID', 'Binary frames are not part of the protocol; send JSON text.'));
      return;
    }
    const parsed = parseClientFrame(raw.toString());
    if (!parsed.ok) {
      sender.send(errorFrame(parsed.id, parsed.code, parsed.message));
      return;
    }
    // Commands of one socket run one after another, so their acks keep the order they were sent in.
    queue = queue.then(async () => {
      try {
        await self.dispatch(parsed.command);
      } catch (error) {
        if (isAppError(error)) {
          sender.send(errorFrame(parsed.command.id, error.code, error.message));
        } else {
          logger.error({ err: error, command: parsed.command.type }, 'command failed');
          sender.send(errorFrame(parsed.command.id, 'INTERNAL'));
        }
      }
    });
  });

  socket.on('error', (error) => logger.debug({ err: error }, 'socket error'));

  return {
    resync() {
      for (const subscription of subscriptions.values()) subscription.resync();
    },
    release: () => self.release(),
  };
}

/** The agent of a message_delta frame, read without a full parse on the hot path. */
function agentOf(raw: string): string {
  return /"agent":"([a-z_]+)"/.exec(raw)?.[1] ?? '';
}
