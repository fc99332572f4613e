import type { AgentName, RunEventDraft } from '@tally/protocol';

/**
 * Everything an agent may know and do for one run, created when a worker starts the run and
 * dropped when it ends. Identity comes from here, never from message text.
 */
export interface RunContext {
  user: { id: string; email: string };
  /** The workspace the run belongs to (its thread's): the agents read that workspace's usage only. */
  workspaceId: string;
  threadId: string;
  runId: string;
  /** The user's message that started the run. */
  text: string;
  /**
   * No earlier question of the user in the thread (the claim read it with the run): the agents
   * then need not read the thread's history, a round trip per run (issue 19).
   */
  firstInThread: boolean;
  /** Aborted by stop_run (from any node) or by shutdown; reaches every LLM call and long query. */
  signal: AbortSignal;
  /**
   * Publishes an event of this run at once, in order, and queues it for the log (written within
   * the flush interval); throws once the run's writes have failed.
   */
  emit(event: RunEventDraft): Promise<void>;
  /**
   * The value of a step this run completed on a node that then died or shut down, or undefined.
   * The step is then not run again and its events are not sent again.
   */
  restoreStep(agent: AgentName): unknown;
  /** Records a completed step's value (JSON-safe); written after its events are in the log. */
  saveStep(agent: AgentName, value: unknown): Promise<void>;
}

/** What the agent pipeline hands back to the run worker, which writes the final event. */
export interface PipelineResult {
  answer: string;
  report: import('@tally/protocol').Report | null;
}

export interface Pipeline {
  run(ctx: RunContext): Promise<PipelineResult>;
}
