import { randomUUID } from 'node:crypto';
import type { AgentName, RunEventDraft } from '@tally/protocol';
import type { RunContext } from '../runs/run-context.js';
import { untilAborted } from '../runs/until-aborted.js';
import { inSpan } from '../telemetry/spans.js';

/** What an agent step hands back: its value, and one line for its agent_completed event. */
export interface StepResult<T> {
  value: T;
  summary: string;
}

/**
 * One run as the agents see it, created per run by the supervisor and dropped with it. Every emit
 * checks the run's signal first, so once a run is stopped not one more event leaves it.
 */
export interface AgentRun {
  readonly ctx: RunContext;
  readonly signal: AbortSignal;
  /** Identity comes from the run context, never from the message. */
  readonly ownerId: string;
  /** The workspace whose usage the run analyses (its thread's): every usage read is scoped by it. */
  readonly workspaceId: string;
  readonly now: () => Date;
  /** Throws the signal's reason when the run was stopped. */
  checkpoint(): void;
  emit(event: RunEventDraft): Promise<void>;
  thinking(agent: AgentName, text: string): Promise<void>;
  /** Streams answer text: one message_delta per chunk. */
  deltas(agent: AgentName, chunks: Iterable<string>): Promise<void>;
  /**
   * agent_started, the body, then agent_completed with its duration and summary. A `derived` step's
   * value is a pure function of earlier steps' values (and the prices): it is not written into the
   * run's checkpoint, and a node that takes the run over computes it again, its events then equal
   * to the ones already sent (and suppressed as such).
   */
  step<T>(agent: AgentName, body: () => Promise<StepResult<T>>, options?: { derived?: boolean }): Promise<T>;
  /** A named tool call: tool_executing, the call (abandoned on stop), then tool_completed. */
  tool<T>(agent: AgentName, name: string, args: Record<string, unknown>, call: () => Promise<T>, summarize: (result: T) => unknown): Promise<T>;
}

export function createAgentRun(ctx: RunContext, now: () => Date): AgentRun {
  const { signal } = ctx;
  const elapsed = (since: Date) => Math.max(0, now().getTime() - since.getTime());
  const run: AgentRun = {
    ctx,
    signal,
    ownerId: ctx.user.id,
    workspaceId: ctx.workspaceId,
    now,
    checkpoint: () => signal.throwIfAborted(),
    async emit(event) {
      signal.throwIfAborted();
      await ctx.emit(event);
    },
    thinking: (agent, text) => run.emit({ type: 'agent_thinking', data: { agent, text } }),
    async deltas(agent, chunks) {
      for (const text of chunks) {
        if (text !== '') await run.emit({ type: 'message_delta', data: { agent, text } });
      }
    },
    async step<T>(agent: AgentName, body: () => Promise<StepResult<T>>, options?: { derived?: boolean }): Promise<T> {
      // A stop arrives as a message (a socket's, or a run thread's port): a step that follows a
      // step of pure computation would otherwise run in the same turn of the event loop, before the
      // stop is read, and a run with no read left would complete past it.
      await new Promise<void>((resolve) => setImmediate(resolve));
      run.checkpoint();
      // A step finished before a takeover is not run again: its value comes from the checkpoint.
      const restored = ctx.restoreStep(agent);
      if (restored !== undefined) return restored as T;
      const started = now();
      await run.emit({ type: 'agent_started', data: { agent } });
      const { value, summary } = await inSpan(`agent ${agent}`, { 'tally.agent': agent }, body);
      await run.emit({ type: 'agent_completed', data: { agent, durationMs: elapsed(started), summary } });
      if (!options?.derived) await ctx.saveStep(agent, value);
      return value;
    },
    async tool<T>(agent: AgentName, name: string, args: Record<string, unknown>, call: () => Promise<T>, summarize: (result: T) => unknown): Promise<T> {
      const toolCallId = randomUUID();
      await run.emit({ type: 'tool_executing', data: { agent, toolCallId, tool: name, args } });
      const started = now();
      let result: T;
      try {
        // The store's interface takes no signal: a stop cannot cancel its query, it stops the wait.
        result = await untilAborted(call(), signal);
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        const message = error instanceof Error ? error.message : String(error);
        await run.emit({ type: 'tool_completed', data: { agent, toolCallId, tool: name, args, result: null, durationMs: elapsed(started), error: message } });
        throw error;
      }
      await run.emit({ type: 'tool_completed', data: { agent, toolCallId, tool: name, args, result: summarize(result), durationMs: elapsed(started) } });
      return result;
    },
  };
  return run;
}
