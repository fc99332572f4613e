import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '@tally/protocol';
import { startCluster, type Cluster } from '../support/cluster.js';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { startOwnRedis, type OwnRedis } from '../support/redis-server.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { expectCompleteRun } from '../support/run-assertions.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket } from '../support/ws-test-client.js';

const scale = engineSetups().find((e) => e.name === 'postgres+redis')!;

/** Redis goes away mid-run and comes back: delivery recovers by itself, gaps are filled from the log. */
describe.skipIf(scale.skipReason !== null)(`Redis restarted mid-run ${scale.skipReason ?? ''}`, () => {
  let cluster: Cluster;
  let llm: FakeLlm;
  let redis: OwnRedis;

  beforeAll(async () => {
    redis = await startOwnRedis();
    llm = await startFakeLlm((request) =>
      request.body['stream'] === true
        ? { stream: Array.from({ length: 100 }, (_, i) => `piece${i} `), chunkDelayMs: 30 }
        : { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } },
    );
    cluster = await startCluster({ engine: scale, count: 2, redisUrl: redis.url, env: { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake', TALLY_LLM_API_KEY: 'k' } });
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
    await llm?.close();
    await redis?.stop();
  });

  it('clients on every node get the whole run, once and in order', async () => {
    const [a, b] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
    const user = await signUp(a.url, 'redis-restart');
    await rest(a.url, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed: 80, days: 2, requestsPerDay: 40 }) });
    const onA = await openTestSocket(a.wsUrl, { ticket: await ticketFor(a.url, user.token), workspaceId: user.userId });
    const { runId, threadId } = (await onA.command('send_message', { text: 'Where is my AI money going?' }))['data'] as { runId: string; threadId: string };
    const onB = await openTestSocket(b.wsUrl, { ticket: await ticketFor(b.url, user.token), workspaceId: user.userId });
    await onB.command('subscribe', { runId, afterSeq: 0 });
    await onA.waitFor((f) => f['runId'] === runId && f['type'] === 'message_delta', 20_000);

    await redis.stop();
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();

    for (const socket of [onA, onB]) {
      const terminal = await socket.waitForTerminal(runId, 30_000);
      expect(terminal.type).toBe('run_completed');
      expectCompleteRun(socket.eventsOf(runId), { runId, threadId });
    }
    const logged = await rest<{ events: RunEvent[] }>(b.url, 'GET', `/v1/workspaces/${user.userId}/runs/${runId}/events`, { token: user.token });
    expect(onA.eventsOf(runId)).toEqual(logged.body.events);
    expect(onB.eventsOf(runId)).toEqual(logged.body.events);
    onA.close();
    onB.close();
  }, 90_000);
});
