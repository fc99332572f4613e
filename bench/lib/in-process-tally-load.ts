import { generateUsage } from '../../packages/server/src/usage/demo/generate-usage.js';
import { createBenchUsers, type BenchUser } from './bench-users.js';
import { mapLimited } from './concurrency.js';
import type { LatencyHistogram } from './histogram.js';
import { chunksMarker, paceMarker, wallNow } from './mock-llm.js';
import { addIntegrity, emptyIntegrity, type Integrity } from './seq-tracker.js';
import { BenchSocket } from './ws-client.js';

/**
 * Runs through the real product for the pipeline scenarios: users signed up over REST, a month
 * of their usage posted to their personal workspace's /v1/workspaces/:id/usage (so a run goes through triage, data, optimization and the
 * streamed LLM answer, not the no-data helper), one authenticated socket each, and messages sent
 * with send_message, each run followed to its terminal event with its seqs checked.
 */
export interface LoadUser {
  user: BenchUser;
  socket: BenchSocket;
}

export async function prepareLoadUsers(baseUrl: string, wsUrl: string, count: number): Promise<LoadUser[]> {
  const users = await createBenchUsers(baseUrl, count);
  const usage = usageNdjson();
  return mapLimited(users, 4, async (user) => {
    // Into the user's personal workspace, whose id is the user's (workspaces/personal-workspace.ts).
    const response = await fetch(`${baseUrl}/v1/workspaces/${user.userId}/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/x-ndjson' },
      body: usage,
    });
    if (!response.ok) throw new Error(`usage upload answered ${response.status}: ${await response.text()}`);
    const socket = await BenchSocket.open(wsUrl, { protocols: ['tally.v1', `bearer.${user.accessToken}`] });
    return { user, socket };
  });
}

/** A small but complete dataset: a week of the generator's traffic, planted waste included. */
function usageNdjson(): string {
  const lines: string[] = [];
  for (const record of generateUsage({ days: 7, requestsPerDay: 60, end: new Date() })) lines.push(JSON.stringify(record));
  return lines.join('\n') + '\n';
}

export interface RunOutcome {
  runId: string;
  /** ms from send_message to the first message_delta frame, and to the terminal event. */
  firstDeltaMs: number | undefined;
  totalMs: number;
  /** Wall time the first delta frame arrived (to compare with the time the LLM sent it). */
  firstDeltaAt: number | undefined;
  firstDeltaText: string | undefined;
  completed: boolean;
  integrity: Integrity;
}

let messages = 0;

export interface RunOptions {
  latency?: LatencyHistogram;
  /** The mock LLM's pacing for this run's answer (its default otherwise). */
  paceMs?: number;
  /** The answer's chunk count (the mock's default otherwise). */
  chunks?: number;
}

/** One message in a new thread, followed to its end. */
export async function runOnce(load: LoadUser, options: RunOptions = {}): Promise<RunOutcome> {
  const { latency, paceMs, chunks } = options;
  const sentAt = wallNow();
  const pace = paceMs === undefined ? '' : ` ${paceMarker(paceMs)}`;
  const length = chunks === undefined ? '' : ` ${chunksMarker(chunks)}`;
  const ack = await load.socket.command('send_message', { text: `Where is my AI money going? (${++messages})${pace}${length}` });
  const runId = String(ack['runId']);
  const watch = load.socket.watch(runId, latency ? { latency } : {});
  let firstDeltaAt: number | undefined;
  let firstDeltaText: string | undefined;
  const original = watch.receive.bind(watch);
  watch.receive = (frame, raw, receivedAt) => {
    if (firstDeltaAt === undefined && frame.type === 'message_delta') {
      firstDeltaAt = receivedAt;
      firstDeltaText = frame.data.text;
    }
    original(frame, raw, receivedAt);
  };
  // Deltas come long after the ack, so none is among the frames watch() replayed at once.
  await watch.done;
  load.socket.runs.delete(runId);
  const end = wallNow();
  return {
    runId,
    firstDeltaMs: firstDeltaAt === undefined ? undefined : firstDeltaAt - sentAt,
    firstDeltaAt,
    firstDeltaText,
    totalMs: end - sentAt,
    completed: watch.terminalType === 'run_completed',
    integrity: watch.tracker.integrity(watch.terminalSeq ?? watch.tracker.last),
  };
}

export interface LoadResult {
  completed: number;
  failed: number;
  runsPerSecond: number;
  integrity: Integrity;
}

/**
 * Keeps `concurrency` runs in flight (spread over the users) for `durationMs`, then waits for the
 * runs in flight; runs/s counts completed runs over the whole time until the last one ended.
 */
export async function runLoad(
  users: LoadUser[],
  options: { concurrency: number; durationMs: number; latency?: LatencyHistogram; /** The mock LLM's pacing for these runs (its default otherwise). */ paceMs?: number },
): Promise<LoadResult> {
  const started = performance.now();
  const deadline = started + options.durationMs;
  let completed = 0;
  let failed = 0;
  let integrity = emptyIntegrity();
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, lane) => {
      const load = users[lane % users.length]!;
      while (performance.now() < deadline) {
        const outcome = await runOnce(load, { latency: options.latency, paceMs: options.paceMs });
        if (outcome.completed) completed++;
        else failed++;
        integrity = addIntegrity(integrity, outcome.integrity);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { completed, failed, runsPerSecond: completed / seconds, integrity };
}

export async function closeLoadUsers(users: LoadUser[]): Promise<void> {
  await Promise.all(users.map((u) => u.socket.close()));
}
