import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../support/cluster.js';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket } from '../support/ws-test-client.js';

const scale = engineSetups().find((e) => e.name === 'postgres+redis')!;

/**
 * Traces of Tally's own work, exported over OTLP/HTTP to a collector in the test: a run queued on
 * one node and executed on another is one trace, with spans from both nodes (the queuing command
 * and its queries on the first; the run, its agent steps, LLM calls and queries on the second).
 */
describe.skipIf(scale.skipReason !== null)(`traces across nodes ${scale.skipReason ?? ''}`, () => {
  let cluster: Cluster;
  let llm: FakeLlm;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    llm = await startFakeLlm((request) =>
      request.body['stream'] === true
        ? { stream: Array.from({ length: 60 }, (_, i) => `word${i} `), chunkDelayMs: 40 }
        : { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } },
    );
    // One run at a time per node: with one node busy, the other must take the next run.
    cluster = await startCluster({
      engine: scale,
      count: 2,
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
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
    await llm?.close();
    await receiver?.close();
  });

  it('a run queued on node A and run on node B is one trace with spans from both', async () => {
    const [first, second] = cluster.nodes as [Cluster['nodes'][0], Cluster['nodes'][0]];
    const user = await signUp(first.url, 'traces');
    expect((await rest(first.url, 'POST', '/v1/usage', { token: user.token, body: usageNdjson({ seed: 20, days: 2, requestsPerDay: 30 }) })).status).toBe(200);
    const sockets = {
      [first.nodeId]: await openTestSocket(first.wsUrl, { ticket: await ticketFor(first.url, user.token) }),
      [second.nodeId]: await openTestSocket(second.wsUrl, { ticket: await ticketFor(second.url, user.token) }),
    };

    // Run 1 keeps one node (A) busy; run 2 is sent to A, which is full, so B claims it.
    const busy = (await sockets[first.nodeId]!.command('send_message', { text: 'Where is my AI money going?' }))['data'] as { runId: string };
    await sockets[first.nodeId]!.waitFor((f) => f['runId'] === busy.runId && f['type'] === 'message_delta', 30_000);
    const a = (await cluster.ownerOf(busy.runId))!;
    const b = cluster.nodes.find((n) => n !== a)!;
    const queued = (await sockets[a.nodeId]!.command('send_message', { text: 'How much would prompt caching save us?' }))['data'] as { runId: string };
    const terminal = await sockets[a.nodeId]!.waitForTerminal(queued.runId, 30_000);
    expect(terminal.type).toBe('run_completed');

    const instance = (s: ReceivedSpan) => s.resource['service.instance.id'];
    const spans = await receiver.waitFor((all) => {
      const run = all.find((s) => s.name === 'run' && s.attributes['tally.run.id'] === queued.runId);
      return run !== undefined && all.filter((s) => s.traceId === run.traceId && s.name.startsWith('agent ')).length >= 5;
    });
    const run = spans.find((s) => s.name === 'run' && s.attributes['tally.run.id'] === queued.runId)!;
    const trace = spans.filter((s) => s.traceId === run.traceId);

    // The run ran on B, as the child of A's send_message command, which queued it.
    expect(instance(run)).toBe(b.nodeId);
    const command = trace.find((s) => s.spanId === run.parentSpanId)!;
    expect(command).toMatchObject({ name: 'ws send_message', parentSpanId: undefined });
    expect(instance(command)).toBe(a.nodeId);
    expect(trace.some((s) => s.name === 'INSERT runs' && s.parentSpanId !== undefined && instance(s) === a.nodeId)).toBe(true);

    // On B: each agent step under the run, LLM calls and store queries under the steps.
    const steps = trace.filter((s) => s.name.startsWith('agent ') && s.parentSpanId === run.spanId);
    expect(steps.map((s) => s.name)).toEqual(expect.arrayContaining(['agent triage', 'agent data', 'agent optimization', 'agent actions', 'agent reporting']));
    expect(steps.every((s) => instance(s) === b.nodeId)).toBe(true);
    const stepIds = new Set(steps.map((s) => s.spanId));
    const llmCalls = trace.filter((s) => s.attributes['gen_ai.request.model'] === 'fake');
    expect(llmCalls.length).toBeGreaterThanOrEqual(1);
    expect(llmCalls.every((s) => stepIds.has(s.parentSpanId!) && instance(s) === b.nodeId)).toBe(true);
    expect(trace.some((s) => s.attributes['db.system.name'] === 'postgresql' && stepIds.has(s.parentSpanId!))).toBe(true);
    expect(new Set(trace.map(instance))).toEqual(new Set([a.nodeId, b.nodeId]));

    // HTTP requests have spans of their own, named by route pattern, never by path.
    const ingest = spans.find((s) => s.name === 'POST /v1/usage')!;
    expect(ingest.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/v1/usage', 'http.response.status_code': 200 });
    expect(spans.some((s) => s.name.includes(user.userId) || JSON.stringify(s.attributes).includes(user.email))).toBe(false);

    await sockets[a.nodeId]!.waitForTerminal(busy.runId, 30_000);
    for (const socket of Object.values(sockets)) socket.close();
  }, 60_000);
});
