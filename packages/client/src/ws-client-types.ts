import type {
  CommandData,
  RunEvent,
  RunEventType,
  SendMessageAckDataSchema,
  SubscribeAckDataSchema,
  ThreadActivityFrame,
  ThreadAccessEndedFrame,
  UsageChangedFrame,
  WorkspaceAccessEndedFrame,
} from '@tally/protocol';
import type { z } from 'zod';
import type { BackoffOptions } from './backoff.js';

/** The part of a WebSocket this client uses: met by the browser's and by the `ws` package's. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
}
/** `WebSocket` in a browser, `(await import('ws')).default` in Node. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** How each connection authenticates: a fresh single-use ticket (preferred) or the bearer token. */
export type WsAuth =
  | { ticket: () => Promise<string> }
  | { bearer: () => string | undefined | Promise<string | undefined> };

export type ConnectionStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ConnectionInfo {
  /** Why the last connection ended or failed. */
  reason?: string;
  /** Consecutive failed attempts so far. */
  attempt?: number;
  /** When reconnecting: the wait before the next attempt. */
  retryInMs?: number;
}

export type SendMessageAck = z.infer<typeof SendMessageAckDataSchema>;
export type SubscribeAck = z.infer<typeof SubscribeAckDataSchema>;
export type EventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;

export interface WsClientListeners {
  /** Every run event, once and in seq order per run. */
  event: (event: RunEvent) => void;
  status: (status: ConnectionStatus, info: ConnectionInfo) => void;
  /** A run of one of the user's threads was queued or ended, from any tab or device. */
  activity: (frame: ThreadActivityFrame) => void;
  /**
   * The user's access to a workspace was reduced: the server ended the subscriptions and watches
   * listed (the client forgets them too, and does not renew them on reconnect).
   */
  workspaceAccessEnded: (frame: WorkspaceAccessEndedFrame) => void;
  /**
   * Another member's thread this user read as shared is no longer shared: the server ended its
   * watch and the subscriptions to its runs listed (forgotten here too, not renewed on reconnect).
   */
  threadAccessEnded: (frame: ThreadAccessEndedFrame) => void;
  /**
   * The usage of a workspace this user reads changed (an upload, an OTLP export, a connector's
   * sync): a view of its figures reads them again. Coalesced by the server (about one a second).
   */
  usageChanged: (frame: UsageChangedFrame) => void;
  /** Problems with no caller to reject: error frames without id, unreadable frames, failed resubscribes. */
  error: (error: Error) => void;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WsClientOptions {
  /** Server origin (`http://127.0.0.1:8080`, `https://tally.example`) or a ws(s) URL; /v1/ws is appended. */
  url: string;
  WebSocket: WebSocketConstructor;
  auth: WsAuth;
  /** How long a command waits for its ack, reconnects included; default 15 s. */
  commandTimeoutMs?: number;
  /** How long an upgrade may take; default 10 s. */
  connectTimeoutMs?: number;
  /** Ping period while open, to notice a dead link (Wi-Fi gone); default 25 s, 0 disables. */
  heartbeatMs?: number;
  backoff?: BackoffOptions;
  /** Consecutive failed attempts after which the client gives up (status `closed`); default unlimited. */
  maxReconnectAttempts?: number;
  /** How long events may wait for a missing seq before the run is re-subscribed; default 2 s. */
  gapResubscribeMs?: number;
  random?: () => number;
  createId?: () => string;
  now?: () => number;
  timers?: Timers;
}

export interface WsClient {
  readonly status: ConnectionStatus;
  /** Connects (or waits for the connection in progress); from then on reconnects by itself. */
  connect(): Promise<void>;
  /** Closes for good: pending commands are rejected, no reconnect. `connect()` starts again. */
  close(): void;
  /** Starts a run; the socket is subscribed to it from seq 0. Resent with the same id after a reconnect. */
  sendMessage(data: CommandData<'send_message'>): Promise<SendMessageAck>;
  stopRun(workspaceId: string, runId: string): Promise<void>;
  /** Events with seq > afterSeq; afterSeq defaults to the last seq delivered for the run (or 0). */
  subscribe(workspaceId: string, runId: string, afterSeq?: number): Promise<SubscribeAck>;
  unsubscribe(workspaceId: string, runId: string): Promise<void>;
  /**
   * Follows a thread: its runs still going, and every new one (another tab's too), arrive as
   * events. Kept across reconnects until unwatchThread.
   */
  watchThread(workspaceId: string, threadId: string): Promise<void>;
  unwatchThread(workspaceId: string, threadId: string): Promise<void>;
  /** Round trip in ms. */
  ping(): Promise<number>;
  /** The seq of the last event delivered for a run. */
  lastSeq(runId: string): number | undefined;
  on<K extends keyof WsClientListeners>(type: K, listener: WsClientListeners[K]): () => void;
  /** Events of one type, typed. */
  onRunEvent<T extends RunEventType>(type: T, listener: (event: EventOf<T>) => void): () => void;
}
