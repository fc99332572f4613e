import { z } from 'zod';
import { int32, safeText } from './safe-text.js';
import { ClientIdSchema, PROTOCOL_VERSION } from './envelope.js';

export const IdSchema = z.string().uuid();

/** Longest chat message a user may send, in characters. */
export const MAX_MESSAGE_CHARS = 8_000;

/**
 * What a message to a thread whose run is still going does (double-texting): `reject` answers
 * THREAD_BUSY, `queue` runs it after the current run, `interrupt` stops the current run first.
 */
export const BUSY_POLICIES = ['reject', 'queue', 'interrupt'] as const;
export const BusyPolicySchema = z.enum(BUSY_POLICIES);
export type BusyPolicy = z.infer<typeof BusyPolicySchema>;

/** Every command on workspace data names its workspace; membership and role are checked per command. */
const inWorkspace = { workspaceId: IdSchema };

export const SendMessageDataSchema = z.object({
  ...inWorkspace,
  /** Absent: start a new thread in the workspace; present: one of the caller's threads there. */
  threadId: IdSchema.optional(),
  text: safeText().trim().min(1).max(MAX_MESSAGE_CHARS),
  onBusy: BusyPolicySchema.default('reject'),
});
export const StopRunDataSchema = z.object({ ...inWorkspace, runId: IdSchema });
export const SubscribeDataSchema = z.object({
  ...inWorkspace,
  runId: IdSchema,
  /** Deliver the events with seq greater than this; 0 replays the whole run. */
  afterSeq: int32(0).default(0),
});
export const UnsubscribeDataSchema = z.object({ ...inWorkspace, runId: IdSchema });
/** Follow a thread: the socket gets every new run of it from seq 1, live (another tab's too). */
export const WatchThreadDataSchema = z.object({ ...inWorkspace, threadId: IdSchema });
export const UnwatchThreadDataSchema = z.object({ ...inWorkspace, threadId: IdSchema });
export const PingDataSchema = z.object({}).passthrough().optional();

/** Every client command, by type: the data schema of each. */
export const COMMAND_DATA_SCHEMAS = {
  send_message: SendMessageDataSchema,
  stop_run: StopRunDataSchema,
  subscribe: SubscribeDataSchema,
  unsubscribe: UnsubscribeDataSchema,
  watch_thread: WatchThreadDataSchema,
  unwatch_thread: UnwatchThreadDataSchema,
  ping: PingDataSchema,
} as const;

export type CommandType = keyof typeof COMMAND_DATA_SCHEMAS;
export const COMMAND_TYPES = Object.keys(COMMAND_DATA_SCHEMAS) as CommandType[];

const command = <T extends CommandType>(type: T) =>
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    id: ClientIdSchema,
    type: z.literal(type),
    data: COMMAND_DATA_SCHEMAS[type],
  });

export const ClientCommandSchema = z.discriminatedUnion('type', [
  command('send_message'),
  command('stop_run'),
  command('subscribe'),
  command('unsubscribe'),
  command('watch_thread'),
  command('unwatch_thread'),
  command('ping'),
]);
export type ClientCommand = z.infer<typeof ClientCommandSchema>;
/** Command data as a client writes it (defaults may be left out). */
export type CommandData<T extends CommandType> = z.input<(typeof COMMAND_DATA_SCHEMAS)[T]>;

export function isCommandType(type: string): type is CommandType {
  return Object.hasOwn(COMMAND_DATA_SCHEMAS, type);
}
