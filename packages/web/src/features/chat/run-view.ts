import type { AgentName, Report, RunEvent, RunStatus } from '@tally/protocol';

/** One line of a run's timeline, in the order things happened. */
export type TimelineItem =
  | { kind: 'agent'; seq: number; ts: string; agent: AgentName; phase: 'started' | 'completed'; durationMs?: number; summary?: string }
  | { kind: 'thinking'; seq: number; ts: string; agent: AgentName; text: string }
  | { kind: 'tool'; seq: number; ts: string; toolCallId: string };

export interface ToolCallView {
  toolCallId: string;
  agent: AgentName;
  tool: string;
  args: unknown;
  result?: unknown;
  error?: string;
  durationMs?: number;
  state: 'running' | 'done' | 'failed';
}

/** What a run card shows, rebuilt from the run's events alone. */
export interface RunView {
  runId: string;
  threadId: string;
  status: RunStatus;
  lastSeq: number;
  question: string | null;
  /** The agent working now, if any. */
  activeAgent: AgentName | null;
  timeline: TimelineItem[];
  tools: Record<string, ToolCallView>;
  /** Streamed answer text; replaced by the final answer when the run completes. */
  answer: string;
  report: Report | null;
  failure: { code: string; message: string } | null;
  cancelReason: string | null;
}

export function emptyRunView(runId: string, threadId: string): RunView {
  return {
    runId,
    threadId,
    status: 'queued',
    lastSeq: 0,
    question: null,
    activeAgent: null,
    timeline: [],
    tools: {},
    answer: '',
    report: null,
    failure: null,
    cancelReason: null,
  };
}

/** Folds one event into the view, returning a new view (or the same one for a stale event). */
export function applyRunEvent(view: RunView | undefined, event: RunEvent): RunView {
  const v = view ?? emptyRunView(event.runId, event.threadId);
  if (event.seq <= v.lastSeq) return v;
  const next: RunView = { ...v, lastSeq: event.seq };
  const at = { seq: event.seq, ts: event.ts };
  switch (event.type) {
    case 'run_queued':
      return { ...next, question: event.data.text };
    case 'agent_started':
      return {
        ...next,
        status: 'running',
        activeAgent: event.data.agent === 'supervisor' ? v.activeAgent : event.data.agent,
        timeline: [...v.timeline, { kind: 'agent', ...at, agent: event.data.agent, phase: 'started' }],
      };
    case 'agent_thinking':
      return { ...next, status: 'running', timeline: [...v.timeline, { kind: 'thinking', ...at, agent: event.data.agent, text: event.data.text }] };
    case 'tool_executing':
      return {
        ...next,
        status: 'running',
        timeline: [...v.timeline, { kind: 'tool', ...at, toolCallId: event.data.toolCallId }],
        tools: {
          ...v.tools,
          [event.data.toolCallId]: {
            toolCallId: event.data.toolCallId,
            agent: event.data.agent,
            tool: event.data.tool,
            args: event.data.args,
            state: 'running',
          },
        },
      };
    case 'tool_completed': {
      const known = v.tools[event.data.toolCallId];
      const tool: ToolCallView = {
        toolCallId: event.data.toolCallId,
        agent: event.data.agent,
        tool: event.data.tool,
        args: event.data.args,
        result: event.data.result,
        durationMs: event.data.durationMs,
        state: event.data.error ? 'failed' : 'done',
        ...(event.data.error ? { error: event.data.error } : {}),
      };
      return {
        ...next,
        timeline: known ? v.timeline : [...v.timeline, { kind: 'tool', ...at, toolCallId: event.data.toolCallId }],
        tools: { ...v.tools, [event.data.toolCallId]: tool },
      };
    }
    case 'message_delta':
      return { ...next, status: 'running', answer: v.answer + event.data.text };
    case 'agent_completed': {
      const { agent, durationMs, summary } = event.data;
      return {
        ...next,
        activeAgent: v.activeAgent === agent ? null : v.activeAgent,
        timeline: [
          ...v.timeline,
          { kind: 'agent', ...at, agent, phase: 'completed', durationMs, ...(summary ? { summary } : {}) },
        ],
      };
    }
    case 'run_completed':
      return { ...next, status: 'completed', activeAgent: null, answer: event.data.answer, report: event.data.report };
    case 'run_failed':
      return { ...next, status: 'failed', activeAgent: null, failure: { code: event.data.code, message: event.data.message } };
    case 'run_cancelled':
      return { ...next, status: 'cancelled', activeAgent: null, cancelReason: event.data.reason };
    default: {
      const never: never = event;
      return never;
    }
  }
}

export function isActive(view: RunView): boolean {
  return view.status === 'queued' || view.status === 'running';
}
