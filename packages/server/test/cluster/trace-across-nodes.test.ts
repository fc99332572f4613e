import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../support/cluster.js';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import type { NodeProcess } from '../support/node-process.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket } from '../support/ws-test-client.js';

const scale = engineSetups().find((e) => e.name === 'postgres+redis')!;

/**
 * Traces of Tally's own work, exported over OTLP/HTTP to a collector in the test. One node runs
 * pipelines on its main thread, the other on a run thread (TALLY_RUN_THREADS=1), which exports
 * spans of its own. A run queued on node X while X is busy with another is executed on node Y:
 * one trace with spans from both nodes (the queuing command and its queries on X; the run, its
 * agent steps, LLM calls and queries on Y). The run that kept X busy shows the same spans from X:
 * between them the two runs cover both threading modes.
 */
describe.skipIf(scale.skipReason !== null)(`traces across nodes ${scale.skipReason ?? ''}`, () => {
  let cluster: Cluster;
  let llm: FakeLlm;
  let receiver: OtlpReceiver;
  let streams = 0;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // The first answer streams long enough for the second run to be queued while it lasts.
    llm = await startFakeLlm((request) =>
      request.body['stream'] === true
        ? { stream: Array.from({ length: streams++ === 0 ? 120 : 40 }, (_, i) => `word${i} `), chunkDelayMs: 40 }
        : { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } },
    );
    // One run at a time per node: with node A busy, the next run must go to node B.
    cluster = await startCluster({
      engine: scale,
      // Two minutes for a node to start on a machine this loaded; seconds when it is not.
      startTimeoutMs: 120_000,
      count: 1,
      env: {
        TALLY_LLM_BASE_URL: llm.url,
        TALLY_LLM_MODEL: 'fake',
        TALLY_LLM_API_KEY: 'k',
        TALLY_WORKER_CONCURRENCY: '1',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'tally-trace-test',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    await cluster.addNode({ TALLY_RUN_THREADS: '1' });
  }, 300_000);
  afterAll(async () => {
    await cluster?.close();
    await llm?.close();
    await receiver?.close();
  });

  /** The node a span came from: its service instance is the node id, or `<node id>/<thread>` for a run thread. */
  const nodeOf = (s: ReceivedSpan) => String(s.resource['service.instance.id']).split('/')[0];
  const AGENTS = ['agent triage', 'agent data', 'agent optimization', 'agent actions', 'agent reporting'];

  /** The run's span and its trace, once its five agent steps have arrived. */
  async function traceOfRun(runId: string) {
    const spans = await receiver.waitFor((all) => {
      const run = all.find((s) => s.name === 'run' && s.attributes['tally.run.id'] === runId);
      return run !== undefined && all.filter((s) => s.traceId === run.traceId && AGENTS.includes(s.name)).length >= AGENTS.length;
    });
    const run = spans.find((s) => s.name === 'run' && s.attributes['tally.run.id'] === runId)!;
    return { run, trace: spans.filter((s) => s.traceId === run.traceId) };
  }

  /** Agent steps under the run, LLM calls and store queries under the steps, all from `node`. */
  function expectRunWork(run: ReceivedSpan, trace: ReceivedSpan[], node: NodeProcess) {
    const steps = trace.filter((s) => s.name.startsWith('agent ') && s.parentSpanId === run.spanId);
    expect(steps.map((s) => s.name)).toEqual(expect.arrayContaining(AGENTS));
    expect(steps.every((s) => nodeOf(s) === node.nodeId)).toBe(true);
    const stepIds = new Set(steps.map((s) => s.spanId));
    const llmCalls = trace.filter((s) => s.attributes['gen_ai.request.model'] === 'fake');
    expect(llmCalls.length).toBeGreaterThanOrEqual(1);
    expect(llmCalls.every((s) => stepIds.has(s.parentSpanId!) && nodeOf(s) === node.nodeId)).toBe(true);
    expect(trace.some((s) => s.attributes['db.system.name'] === 'postgresql' && stepIds.has(s.parentSpanId!) && nodeOf(s) === node.nodeId)).toBe(true);
  }

  it('a run queued on one node and run on the other is one trace with spans from both', async () => {
    const user = await signUp(cluster.nodes[0]!.url, 'traces');
    expect((await rest(cluster.nodes[0]!.url, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed: 20, days: 2, requestsPerDay: 30 }) })).status).toBe(200);
    const sockets = new Map<NodeProcess, Awaited<ReturnType<typeof openTestSocket>>>();
    for (const node of cluster.nodes) sockets.set(node, await openTestSocket(node.wsUrl, { ticket: await ticketFor(node.url, user.token), workspaceId: user.userId }));

    // Run 1 keeps node X busy; run 2 is sent to X, which is full, so Y claims it.
    const busy = (await sockets.get(cluster.nodes[0]!)!.command('send_message', { text: 'Where is my AI money going?' }))['data'] as { runId: string };
    await sockets.get(cluster.nodes[0]!)!.waitFor((f) => f['runId'] === busy.runId && f['type'] === 'message_delta', 30_000);
    const x = (await cluster.ownerOf(busy.runId))!;
    const y = cluster.nodes.find((n) => n !== x)!;
    const socket = sockets.get(x)!;
    const queued = (await socket.command('send_message', { text: 'How much would prompt caching save us?' }))['data'] as { runId: string };
    expect((await socket.waitForTerminal(queued.runId, 30_000)).type).toBe('run_completed');

    const { run, trace } = await traceOfRun(queued.runId);
    // The run ran on Y, as the child of X's send_message command, which queued it.
    expect(nodeOf(run)).toBe(y.nodeId);
    const command = trace.find((s) => s.spanId === run.parentSpanId)!;
    expect(command).toMatchObject({ name: 'ws send_message', parentSpanId: undefined });
    expect(nodeOf(command)).toBe(x.nodeId);
    expect(trace.some((s) => s.name === 'SELECT queue_run' && s.parentSpanId !== undefined && nodeOf(s) === x.nodeId)).toBe(true);
    expectRunWork(run, trace, y);
    expect(new Set(trace.map(nodeOf))).toEqual(new Set([x.nodeId, y.nodeId]));

    // The busy run, executed on X.
    expect((await sockets.get(cluster.nodes[0]!)!.waitForTerminal(busy.runId, 30_000)).type).toBe('run_completed');
    const first = await traceOfRun(busy.runId);
    expect(nodeOf(first.run)).toBe(x.nodeId);
    expectRunWork(first.run, first.trace, x);

    // HTTP requests have spans of their own, named by route pattern, never by path; nothing personal.
    const ingest = receiver.spans.find((s) => s.name === 'POST /v1/workspaces/:workspaceId/usage')!;
    expect(ingest.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/v1/workspaces/:workspaceId/usage', 'http.response.status_code': 200 });
    const everything = JSON.stringify(receiver.spans);
    expect(everything).not.toContain(user.userId);
    expect(everything).not.toContain(user.email);
    expect(everything).not.toContain('prompt caching');
    for (const open of sockets.values()) open.close();
  }, 60_000);
});
