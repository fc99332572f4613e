import crypto from 'node:crypto';
import type { RawData, WebSocket } from 'ws';
import type { Logger } from 'pino';
import { CLOSE_CODES, ERROR_CODES, PROTOCOL_VERSION, type ClientCommand, type ErrorCode, type ThreadAccessEndedFrame, type ThreadActivityFrame, type WorkspaceAccessEndedFrame, type WorkspacePermission, type WorkspaceRole } from '@tally/protocol';
import { isAppError } from '../app-error.js';
import type { Bus } from '../bus/bus.js';
import type { UserChannelFanout, UserChannelMember } from '../bus/user-channel-fanout.js';
import type { RunService, StartedRun } from '../runs/run-service.js';
import type { RunEventLog } from '../runs/run-event-log.js';
import type { ThreadService } from '../threads/thread-service.js';
import { parseRevocation, revokedBy } from '../auth/credential-revocation.js';
import { isDataException } from '../http/error-handler.js';
import { isConnectionError } from '../store/postgres-errors.js';
import { isRedisUnavailable } from '../logging/redis-connection-log.js';
import { ackFrame, errorFrame } from './frames.js';
import { parseClientFrame } from './parse-client-frame.js';
import { openRunSubscription, type RunSubscription } from './run-subscription.js';
import { createSocketSender, type SocketSender, type SocketSenderLimits } from './socket-sender.js';
import { inSpan } from '../telemetry/spans.js';
import type { MembershipChange, ThreadUnshared } from '../workspaces/membership-changes.js';
import { assertInKeyScope, authorizeInWorkspace, type WorkspaceRequester } from '../workspaces/workspace-authorization.js';
import type { WorkspaceCaller } from '../workspaces/workspace-caller.js';
import { roleAllows } from '../workspaces/workspace-roles.js';

export interface ConnectionDeps {
  /** Where a subscription replays what it missed from (the node's run event log, as its workers write it). */
  eventLog: RunEventLog;
  bus: Bus;
  runs: RunService;
  threads: ThreadService;
  /** The user's role in a workspace now, read fresh for each command that names one. */
  roleOf(workspaceId: string, userId: string): Promise<WorkspaceRole | null>;
  logger: Logger;
  /** The node's registry of user channels, shared by the sockets of each user. */
  userChannels: UserChannelFanout;
  limits: { floodFramesPerSecond: number; maxSubscriptions: number; maxWatchedThreads: number; send: SocketSenderLimits };
  /**
   * Whether the credential that opened the socket still holds, asked before each command: the
   * refusal's code, or null. Revocations also close sockets over the bus; this answers for the
   * moment before that message arrives (and for a bus that lost it).
   */
  credentialRefusal(user: ConnectionUser): Promise<ErrorCode | null>;
}

export interface ConnectionUser {
  id: string;
  email: string;
  /** The session of the access token or ticket that opened the socket. */
  sessionId?: string;
  /** The API key a ticket was issued under, when the socket was opened with one. */
  apiKeyId?: string;
  /** That key's workspace: the only one the socket works in. */
  apiKeyWorkspaceId?: string;
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
 *
 * A class, and its socket listeners are the gateway's (shared by all sockets): an idle socket
 * then costs one object and no closures. With the runtime's kept function names, every named
 * per-socket function also cost a property store (a dictionary-mode object) of its own. The
 * subscription map and the watched set are only made once the socket subscribes or watches.
 */
export class Connection implements ConnectionHandle, UserChannelMember {
  private subscriptions: Map<string, RunSubscription> | undefined;
  /** Watched threads, each with the workspace it was watched in. */
  private watched: Map<string, string> | undefined;
  private readonly sender: SocketSender;
  private queue: Promise<void>;
  private windowStart = Date.now();
  private framesInWindow = 0;
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    readonly user: ConnectionUser,
    private readonly deps: ConnectionDeps,
  ) {
    this.sender = createSocketSender(socket, deps.limits.send);
    // Commands wait for the user's channels; their messages reach this socket as soon as it joined.
    this.queue = deps.userChannels.join(user.id, this).catch((error: unknown) => deps.logger.warn({ err: error }, 'subscribing to user channels failed'));
  }

  /** A frame from the client (the gateway's one 'message' listener calls it). */
  onMessage(raw: RawData, isBinary: boolean): void {
    if (this.closed) return;
    const { socket, sender } = this;
    if (this.isFlooding()) {
      this.closed = true;
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
    this.queue = this.queue.then(() => this.run(parsed.command));
  }

  /**
   * Another tab or device of this user started or ended a run: tell this socket, follow it if
   * watched. A socket opened with an API key hears only its key's workspace.
   */
  onActivity(raw: string): void {
    if (this.closed) return;
    const keyWorkspace = this.user.apiKeyWorkspaceId;
    if (!keyWorkspace && !this.watched) {
      this.sender.send(raw);
      return;
    }
    const activity = JSON.parse(raw) as ThreadActivityFrame;
    if (keyWorkspace && activity.workspaceId !== keyWorkspace) return;
    this.sender.send(raw);
    if (!this.watched) return;
    if (activity.status === 'queued' && this.watched.get(activity.threadId) === activity.workspaceId && !this.subscriptions?.has(activity.runId)) {
      this.queue = this.queue
        .then(() => this.subscribe(activity.runId, activity.threadId, activity.workspaceId, 0))
        .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'following a watched thread failed'));
    }
  }

  /**
   * A run was queued in a thread its author shared (any node announced it): a socket of another
   * member watching that thread tells its client and follows the run, once the run is read again
   * as theirs to read (the thread may have been unshared, or the member removed, since).
   */
  onSharedActivity(authorId: string, activity: ThreadActivityFrame): void {
    const { threadId, workspaceId, runId } = activity;
    const watching = () => !this.closed && this.watched?.get(threadId) === workspaceId && !this.subscriptions?.has(runId);
    if (authorId === this.user.id || activity.status !== 'queued' || !watching()) return;
    this.queue = this.queue
      .then(async () => {
        if (!watching()) return;
        await this.deps.runs.readable(await this.authorize(workspaceId, 'workspace.read'), runId);
        this.sender.send(JSON.stringify(activity));
        await this.subscribe(runId, threadId, workspaceId, 0);
      })
      .catch((error: unknown) => {
        // Refused: no longer theirs to read, and nothing to tell.
        if (!isAppError(error)) this.deps.logger.warn({ err: error }, 'following a shared thread failed');
      });
  }

  /**
   * The usage of a workspace this user reads changed (the push checked membership): tell the
   * socket, unless it was opened with a key of another workspace (a key works in its own only).
   */
  onUsageChanged(workspaceId: string, raw: string): void {
    if (this.closed) return;
    const keyWorkspace = this.user.apiKeyWorkspaceId;
    if (this.user.apiKeyId && keyWorkspace !== workspaceId) return;
    this.sender.send(raw);
  }

  /** The credential behind this socket was revoked (log-out, key revoked, account disabled...): close it. */
  onControl(raw: string): void {
    const message = parseRevocation(raw);
    const code = message && revokedBy(message, { userId: this.user.id, sessionId: this.user.sessionId, apiKeyId: this.user.apiKeyId });
    if (code) this.revoke(code);
  }

  /**
   * The user's access to a workspace was reduced (any node announced it): end at once what they
   * may no longer read there, and tell the socket. Every role reads its own and the shared
   * threads, so a lowered role keeps them; a member who is out keeps nothing. Queued again behind
   * the commands in flight, so a subscribe authorised just before the change ends too.
   */
  onAccessReduced(change: MembershipChange): void {
    if (this.closed || change.userId !== this.user.id) return;
    this.endAccess(change);
    this.queue = this.queue.then(() => void this.endAccess(change, false));
  }

  private endAccess(change: MembershipChange, tell = true): void {
    const keeps = change.role !== null && roleAllows(change.role, 'workspace.read');
    const inWorkspace = (workspaceId: string) => !keeps && workspaceId === change.workspaceId;
    const { runIds, threadIds } = this.endReading((s) => inWorkspace(s.workspaceId), (_threadId, workspaceId) => inWorkspace(workspaceId));
    if (!tell && runIds.length === 0 && threadIds.length === 0) return;
    const frame: WorkspaceAccessEndedFrame = { v: PROTOCOL_VERSION, type: 'workspace_access_ended', workspaceId: change.workspaceId, role: change.role, runIds, threadIds };
    this.sender.send(JSON.stringify(frame));
  }

  /**
   * The author of a thread stopped sharing it (any node announced it): another member's socket
   * ends its watch of the thread and its subscriptions to the thread's runs, and is told; the
   * author's own sockets keep theirs. Again behind the commands in flight, as for a reduction.
   */
  onThreadUnshared(unshared: ThreadUnshared): void {
    if (this.closed || unshared.authorId === this.user.id) return;
    this.endUnshared(unshared);
    this.queue = this.queue.then(() => this.endUnshared(unshared));
  }

  private endUnshared({ workspaceId, threadId }: ThreadUnshared): void {
    const { runIds, threadIds } = this.endReading(
      (s) => s.workspaceId === workspaceId && s.threadId === threadId,
      (watchedId, watchedIn) => watchedId === threadId && watchedIn === workspaceId,
    );
    // Sockets that read nothing of the thread hear nothing: every socket of the node is asked.
    if (runIds.length === 0 && threadIds.length === 0) return;
    const frame: ThreadAccessEndedFrame = { v: PROTOCOL_VERSION, type: 'thread_access_ended', workspaceId, threadId, reason: 'unshared', runIds, watched: threadIds.length > 0 };
    this.sender.send(JSON.stringify(frame));
  }

  /** Ends the subscriptions and watches picked; returns what ended. */
  private endReading(endsSubscription: (subscription: RunSubscription) => boolean, endsWatch: (threadId: string, workspaceId: string) => boolean): { runIds: string[]; threadIds: string[] } {
    const runIds: string[] = [];
    const threadIds: string[] = [];
    for (const subscription of [...(this.subscriptions?.values() ?? [])]) {
      if (!endsSubscription(subscription)) continue;
      runIds.push(subscription.runId);
      this.subscriptions?.delete(subscription.runId);
      void subscription.close();
    }
    for (const [threadId, workspaceId] of [...(this.watched ?? [])]) {
      if (!endsWatch(threadId, workspaceId)) continue;
      threadIds.push(threadId);
      this.watched?.delete(threadId);
    }
    return { runIds, threadIds };
  }

  /** Authorises one command in the workspace it names: membership read now, and the key's own workspace only. */
  private async authorize(workspaceId: string, permission: WorkspacePermission): Promise<WorkspaceCaller> {
    await authorizeInWorkspace(this.deps.roleOf, this.requester(), workspaceId, permission);
    return { userId: this.user.id, workspaceId };
  }

  /** Who asks, as the workspace decisions take it: the user, and the API key's workspace if a key. */
  private requester(): WorkspaceRequester {
    return { userId: this.user.id, apiKey: this.user.apiKeyId ? { workspaceId: this.user.apiKeyWorkspaceId ?? null } : null };
  }

  private revoke(code: ErrorCode): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close(CLOSE_CODES.UNAUTHORIZED, `${code}: ${ERROR_CODES[code].message}`.slice(0, 120));
  }

  resync(): void {
    if (this.subscriptions) for (const subscription of this.subscriptions.values()) subscription.resync();
  }

  async release(): Promise<void> {
    this.closed = true;
    this.sender.dispose();
    const all = this.subscriptions ? [...this.subscriptions.values()] : [];
    this.subscriptions?.clear();
    await Promise.allSettled([this.deps.userChannels.leave(this.user.id, this), ...all.map((s) => s.close())]);
  }

  private async run(command: ClientCommand): Promise<void> {
    if (this.closed) return;
    try {
      const refusal = await this.deps.credentialRefusal(this.user);
      if (refusal) {
        this.sender.send(errorFrame(command.id, refusal));
        this.revoke(refusal);
        return;
      }
      // A command is the WebSocket's request: its span is the parent of the run it may queue.
      await inSpan(`ws ${command.type}`, { 'tally.ws.command': command.type }, () => this.dispatch(command));
    } catch (error) {
      if (isAppError(error)) {
        this.sender.send(errorFrame(command.id, error.code, error.message));
      } else if (isConnectionError(error) || isRedisUnavailable(error)) {
        // A store restarting or failing over: the client may send the command again shortly.
        this.sender.send(errorFrame(command.id, 'SERVICE_UNAVAILABLE'));
      } else if (isDataException(error)) {
        this.sender.send(errorFrame(command.id, 'FRAME_INVALID', 'A value is outside what the server can store.'));
      } else {
        this.deps.logger.error({ err: error, command: command.type }, 'command failed');
        this.sender.send(errorFrame(command.id, 'INTERNAL'));
      }
    }
  }

  private isFlooding(): boolean {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.framesInWindow = 0;
    }
    return ++this.framesInWindow > this.deps.limits.floodFramesPerSecond;
  }

  private async subscribe(runId: string, threadId: string, workspaceId: string, afterSeq: number): Promise<void> {
    await this.openSubscription(runId, () => threadId, workspaceId, afterSeq, false);
  }

  /**
   * `listenFirst`: for a run about to be started by this socket; the subscription hears the
   * run's every event from the bus and delivers from its begin(), with no read of the log.
   */
  private async openSubscription(runId: string, threadOf: () => string, workspaceId: string, afterSeq: number, listenFirst: boolean): Promise<RunSubscription> {
    const { deps, sender } = this;
    const subscriptions = (this.subscriptions ??= new Map());
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
      workspaceId,
      threadOf,
      afterSeq,
      listenFirst,
      loadAfter: (seq) => deps.eventLog.list({ id: runId, thread_id: threadOf() }, seq),
      deliver: (raw, event) => sender.send(raw, event.type === 'message_delta' ? { runId, agent: agentOf(raw) } : undefined),
      onEnd: () => {
        if (subscription && subscriptions.get(runId) === subscription) subscriptions.delete(runId);
      },
      onError: (error) => deps.logger.warn({ err: error, runId }, 'replay from the run log failed'),
    });
    if (this.closed) await subscription.close();
    else if (!subscription.closed) subscriptions.set(runId, subscription);
    return subscription;
  }

  private async closeSubscription(subscription: RunSubscription): Promise<void> {
    await subscription.close();
    if (this.subscriptions?.get(subscription.runId) === subscription) this.subscriptions.delete(subscription.runId);
  }

  private async dispatch(command: ClientCommand): Promise<void> {
    const { deps, sender, user } = this;
    const { runs } = deps;
    switch (command.type) {
      case 'send_message': {
        const { workspaceId, threadId, text, onBusy } = command.data;
        // The role ('agents.ask') is read by the start's own statement (one round trip less per message).
        assertInKeyScope(this.requester(), workspaceId);
        // Listening before the run exists, the socket hears its every event from the bus: no
        // replay from the log for the run it starts (one statement less per run). Events wait
        // until the ack has gone out.
        const runId = crypto.randomUUID();
        let runThreadId = threadId ?? '';
        const early = await this.openSubscription(runId, () => runThreadId, workspaceId, 0, true);
        let started: StartedRun;
        try {
          started = await runs.start({ user, workspaceId, threadId, text, onBusy, clientCommandId: command.id, runId });
        } catch (error) {
          await this.closeSubscription(early);
          throw error;
        }
        runThreadId = started.threadId;
        sender.send(ackFrame(command.id, { runId: started.runId, threadId: started.threadId, messageId: started.messageId }));
        if (started.runId === runId) {
          early.begin();
          return;
        }
        // A resend after reconnect found the run it had created: the client gets it whole from the log.
        await this.closeSubscription(early);
        await this.subscribe(started.runId, started.threadId, workspaceId, 0);
        return;
      }
      case 'subscribe': {
        const { workspaceId } = command.data;
        // The author's run, or one of a thread shared in the workspace (viewers included).
        const run = await runs.readable(await this.authorize(workspaceId, 'workspace.read'), command.data.runId);
        sender.send(ackFrame(command.id, { runId: run.id, threadId: run.thread_id, status: run.status }));
        await this.subscribe(run.id, run.thread_id, workspaceId, command.data.afterSeq);
        return;
      }
      // Ending a subscription or a watch only takes away: no membership needed (a removed member's were ended already).
      case 'unsubscribe': {
        const subscription = this.subscriptions?.get(command.data.runId);
        if (subscription?.workspaceId === command.data.workspaceId) await this.closeSubscription(subscription);
        sender.send(ackFrame(command.id, { runId: command.data.runId }));
        return;
      }
      case 'watch_thread': {
        const { workspaceId, threadId } = command.data;
        await deps.threads.get(await this.authorize(workspaceId, 'workspace.read'), threadId);
        const watched = (this.watched ??= new Map());
        if (!watched.has(threadId) && watched.size >= deps.limits.maxWatchedThreads) {
          const [oldest] = watched.keys();
          if (oldest) watched.delete(oldest);
        }
        watched.set(threadId, workspaceId);
        const active = await runs.activeInThread(threadId);
        sender.send(ackFrame(command.id, { threadId, activeRunIds: active.map((r) => r.id) }));
        for (const run of active) if (!this.subscriptions?.has(run.id)) await this.subscribe(run.id, threadId, workspaceId, 0);
        return;
      }
      case 'unwatch_thread':
        if (this.watched?.get(command.data.threadId) === command.data.workspaceId) this.watched.delete(command.data.threadId);
        sender.send(ackFrame(command.id, { threadId: command.data.threadId }));
        return;
      case 'stop_run': {
        // Only the run's author stops it (another member's shared run answers THREAD_READ_ONLY).
        const run = await runs.authored(await this.authorize(command.data.workspaceId, 'workspace.read'), command.data.runId);
        const { status } = await runs.stop(user.id, run.id);
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
  }
}

/** The agent of a message_delta frame, read without a full parse on the hot path. */
function agentOf(raw: string): string {
  return /"agent":"([a-z_]+)"/.exec(raw)?.[1] ?? '';
}
