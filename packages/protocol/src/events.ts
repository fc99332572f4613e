import { z } from 'zod';
import { AgentNameSchema } from './agents.js';
import { IdSchema } from './commands.js';
import { PROTOCOL_VERSION } from './envelope.js';
import { ReportSchema } from './report.js';

const agent = { agent: AgentNameSchema };

/** The data of each run event type. */
export const RUN_EVENT_DATA_SCHEMAS = {
  run_queued: z.object({ messageId: IdSchema, text: z.string() }),
  agent_started: z.object({ ...agent }),
  agent_thinking: z.object({ ...agent, text: z.string() }),
  tool_executing: z.object({ ...agent, toolCallId: z.string(), tool: z.string(), args: z.unknown() }),
  tool_completed: z.object({
    ...agent,
    toolCallId: z.string(),
    tool: z.string(),
    args: z.unknown(),
    result: z.unknown(),
    durationMs: z.number(),
    error: z.string().optional(),
  }),
  message_delta: z.object({ ...agent, text: z.string() }),
  /** Per agent, and once for the run with agent `supervisor`. */
  agent_completed: z.object({ ...agent, durationMs: z.number(), summary: z.string().optional() }),
  run_completed: z.object({
    messageId: IdSchema,
    answer: z.string(),
    report: ReportSchema.nullable(),
  }),
  run_failed: z.object({ code: z.string(), message: z.string() }),
  run_cancelled: z.object({ reason: z.string() }),
} as const;

export type RunEventType = keyof typeof RUN_EVENT_DATA_SCHEMAS;
export const RUN_EVENT_TYPES = Object.keys(RUN_EVENT_DATA_SCHEMAS) as RunEventType[];
export const TERMINAL_EVENT_TYPES = ['run_completed', 'run_failed', 'run_cancelled'] as const;
export type TerminalEventType = (typeof TERMINAL_EVENT_TYPES)[number];
export type RunEventData<T extends RunEventType> = z.infer<(typeof RUN_EVENT_DATA_SCHEMAS)[T]>;

const runEvent = <T extends RunEventType>(type: T) =>
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    type: z.literal(type),
    runId: IdSchema,
    threadId: IdSchema,
    /** 1, 2, 3... per run, with no gap. */
    seq: z.number().int().min(1),
    /**
     * Only on a message_delta sent to a lagging socket: the frame stands for the events
     * fromSeq..seq, their texts joined. The run log itself never coalesces.
     */
    fromSeq: z.number().int().min(1).optional(),
    /** ISO-8601 time the event was emitted. */
    ts: z.string(),
    data: RUN_EVENT_DATA_SCHEMAS[type],
  });

export const RunEventSchema = z.discriminatedUnion('type', [
  runEvent('run_queued'),
  runEvent('agent_started'),
  runEvent('agent_thinking'),
  runEvent('tool_executing'),
  runEvent('tool_completed'),
  runEvent('message_delta'),
  runEvent('agent_completed'),
  runEvent('run_completed'),
  runEvent('run_failed'),
  runEvent('run_cancelled'),
]);
export type RunEvent = z.infer<typeof RunEventSchema>;
/** An event before the log gives it its place: what an agent emits. */
export type RunEventDraft = {
  [T in RunEventType]: { type: T; data: RunEventData<T> };
}[RunEventType];

export function isTerminalEvent(type: string): type is TerminalEventType {
  return (TERMINAL_EVENT_TYPES as readonly string[]).includes(type);
}
