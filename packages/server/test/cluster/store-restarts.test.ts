import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '@tally/protocol';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { startNodeProcess, type NodeProcess } from '../support/node-process.js';
import { postgresBinDir, startOwnPostgres, type OwnPostgres } from '../support/own-postgres.js';
import { startOwnRedis, type OwnRedis } from '../support/redis-server.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { expectCompleteRun, streamedText } from '../support/run-assertions.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket, type TestSocket } from '../support/ws-test-client.js';

const hasRedis = (() => {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const skipReason = !postgresBinDir() ? 'SKIPPED: no PostgreSQL server binaries' : !hasRedis ? 'SKIPPED: no redis-server' : null;
const alive = (n: NodeProcess) => n.child.exitCode === null && n.child.signalCode === null;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The stores go away under two nodes with runs streaming: a PostgreSQL of the test's own is
 * restarted, paused (SIGSTOP, shorter than the lease) and has every connection cut; a Redis of its
 * own is restarted. No node exits, each node reports not-ready while a store is away, every run
 * ends once, each client sees every event once, and a pause shorter than the lease repeats nothing.
 */
describe.skipIf(skipReason !== null)(`stores restarted under two nodes ${skipReason ?? ''}`, () => {
  let postgres: OwnPostgres;
  let redis: OwnRedis;
  let llm: FakeLlm;
  let nodes: NodeProcess[] = [];

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startOwnPostgres(), startOwnRedis()]);
    // The same text every time: a step run again after a takeover is recognised word for word.
    llm = await startFakeLlm((request) =>
      request.body['stream'] === true
        ? { stream: Array.from({ length: 100 }, (_, i) => `part${i} `), chunkDelayMs: 50 }
        : { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } },
    );
    const env = {
      TALLY_DATABASE_URL: postgres.url,
      TALLY_REDIS_URL: redis.url,
      TALLY_REDIS_PREFIX: `store-restarts-${process.pid}:`,
      TALLY_JWT_SECRET: crypto.randomBytes(32).toString('hex'),
      // The default lease: the pause below (4 s) is shorter than it.
      TALLY_RUN_LEASE_MS: '6000',
      TALLY_METRICS_PORT: '0',
      TALLY_DATA_DIR: `/tmp/store-restarts-${process.pid}`,
      TALLY_LLM_BASE_URL: llm.url,
      TALLY_LLM_MODEL: 'fake',
      TALLY_LLM_API_KEY: 'k',
    };
    // Generous: the machine running the tests may be busy compiling other nodes.
    nodes.push(await startNodeProcess(env, 90_000));
    nodes.push(await startNodeProcess(env, 90_000));
  }, 240_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
    await llm?.close();
    await redis?.stop();
    await postgres?.destroy();
  });

  interface StreamingRun {
    user: { token: string; userId: string };
    runId: string;
    threadId: string;
    /** One socket on the node the message was sent to, one on the other node. */
    sockets: TestSocket[];
  }

  /** Two runs, one sent through each node, each watched from both nodes, streaming their answer. */
  async function startStreamingRuns(label: string): Promise<StreamingRun[]> {
    const runs = await Promise.all(
      nodes.map(async (entry, i) => {
        const other = nodes[(i + 1) % nodes.length]!;
        const user = await signUp(entry.url, `${label}-${i}`);
        await rest(entry.url, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed: 90 + i, days: 2, requestsPerDay: 30 }) });
        const sender = await openTestSocket(entry.wsUrl, { ticket: await ticketFor(entry.url, user.token), workspaceId: user.userId });
        const { runId, threadId } = (await sender.command('send_message', { text: 'Where is my AI money going?' }))['data'] as { runId: string; threadId: string };
        const watcher = await openTestSocket(other.wsUrl, { ticket: await ticketFor(other.url, user.token), workspaceId: user.userId });
        await watcher.command('subscribe', { runId, afterSeq: 0 });
        return { user, runId, threadId, sockets: [sender, watcher] };
      }),
    );
    for (const run of runs) await run.sockets[0]!.waitFor((f) => f['runId'] === run.runId && f['type'] === 'message_delta', 30_000);
    return runs;
  }

  /** Every client of every run got the whole run once, in order, equal to the log; nothing said twice. */
  async function expectEachRunWhole(runs: StreamingRun[]): Promise<void> {
    for (const run of runs) {
      for (const [i, socket] of run.sockets.entries()) {
        await socket.waitForTerminal(run.runId, 45_000).catch((error: unknown) => {
          const seqs = socket.eventsOf(run.runId).map((e) => e.seq);
          throw new Error(`run ${run.runId}, socket ${i === 0 ? 'on the sender node' : 'on the other node'}: no end; seqs ${seqs.join(',')}\n${nodes.map((n) => n.log.slice(-15).join('\n')).join('\n----\n')}`, { cause: error });
        });
      }
      const logged = await rest<{ events: RunEvent[] }>(nodes[0]!.url, 'GET', `/v1/workspaces/${run.user.userId}/runs/${run.runId}/events`, { token: run.user.token });
      for (const socket of run.sockets) {
        const terminal = await socket.waitForTerminal(run.runId, 1_000);
        expect(terminal.type).toBe('run_completed');
        const received = socket.eventsOf(run.runId);
        expectCompleteRun(received, { runId: run.runId, threadId: run.threadId });
        // `ts` aside: a takeover re-issues events that were published but not yet written with their own time.
        const withoutTs = (events: RunEvent[]) => events.map(({ ts: _ts, ...rest }) => rest);
        expect(withoutTs(received)).toEqual(withoutTs(logged.body.events));
        if (terminal.type !== 'run_completed') throw new Error('unreachable');
        expect(streamedText(received)).toBe(terminal.data.answer);
        expect(terminal.data.answer.match(/part10 /g)).toHaveLength(1);
        const starts = received.filter((e) => e.type === 'agent_started').map((e) => (e.data as { agent: string }).agent);
        expect(new Set(starts).size).toBe(starts.length);
      }
      for (const socket of run.sockets) socket.close();
    }
  }

  async function readiness(node: NodeProcess): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
    const response = await fetch(`${node.url}/v1/health/ready`);
    return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, string> } };
  }

  async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check().catch(() => false)) return;
      await sleep(100);
    }
    throw new Error(`not within ${timeoutMs} ms: ${what}`);
  }

  function expectNodesUpAndQuiet(): void {
    for (const node of nodes) {
      expect(alive(node), `node ${node.nodeId} exited:\n${node.log.slice(-20).join('\n')}`).toBe(true);
      // Store errors go to the log as lines of their own, never as stack traces on stderr.
      const stderr = node.log.filter((l) => l.startsWith('stderr:'));
      expect(stderr, stderr.join('\n')).toEqual([]);
    }
  }

  it('PostgreSQL restarted mid-run: no node exits, both say not-ready meanwhile, every run ends once', async () => {
    const runs = await startStreamingRuns('pg-restart');
    await postgres.stop();
    for (const node of nodes) {
      await eventually(async () => {
        const ready = await readiness(node);
        return ready.status === 503 && ready.body.checks['database'] === 'down';
      }, 5_000, 'not ready while the database is down');
    }
    await sleep(1_000);
    await postgres.start();
    await expectEachRunWhole(runs);
    for (const node of nodes) await eventually(async () => (await readiness(node)).status === 200, 10_000, 'ready again');
    expectNodesUpAndQuiet();
  }, 90_000);

  it('Redis restarted mid-run: no node exits, no stack traces, every run ends once', async () => {
    const reconnects = await Promise.all(nodes.map((n) => scrape(n, 'tally_bus_reconnects_total')));
    const runs = await startStreamingRuns('redis-restart');
    await redis.stop();
    for (const node of nodes) {
      await eventually(async () => {
        const ready = await readiness(node);
        return ready.status === 503 && ready.body.checks['bus'] === 'down';
      }, 5_000, 'not ready while Redis is down');
    }
    await sleep(1_000);
    await redis.start();
    await expectEachRunWhole(runs);
    for (const node of nodes) await eventually(async () => (await readiness(node)).status === 200, 10_000, 'ready again');
    // Each node counted its bus coming back.
    const after = await Promise.all(nodes.map((n) => scrape(n, 'tally_bus_reconnects_total')));
    after.forEach((count, i) => expect(count).toBeGreaterThan(reconnects[i]!));
    expectNodesUpAndQuiet();
  }, 90_000);

  it('every database connection cut at once (a network blip): runs go on, nothing lost or doubled', async () => {
    const runs = await startStreamingRuns('blip');
    const admin = new pg.Client({ connectionString: postgres.url });
    admin.on('error', () => undefined);
    await admin.connect();
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`);
    await admin.end();
    await expectEachRunWhole(runs);
    expectNodesUpAndQuiet();
  }, 90_000);

  it('a database pause shorter than the lease (4 s of 6 s): no lease expires, no run is repeated', async () => {
    const before = nodes.map((n) => n.log.length);
    const takeovers = await Promise.all(nodes.map((n) => scrape(n, 'tally_run_takeovers_total')));
    const expirations = await Promise.all(nodes.map((n) => scrape(n, 'tally_run_lease_expirations_total')));
    const runs = await startStreamingRuns('pause');
    await postgres.pause(4_000);
    await expectEachRunWhole(runs);
    nodes.forEach((node, i) => {
      const lines = node.log.slice(before[i]).join('\n');
      expect(lines).not.toContain('lease expired');
      expect(lines).not.toContain('taking over a run');
    });
    expect(await Promise.all(nodes.map((n) => scrape(n, 'tally_run_takeovers_total')))).toEqual(takeovers);
    expect(await Promise.all(nodes.map((n) => scrape(n, 'tally_run_lease_expirations_total')))).toEqual(expirations);
    expectNodesUpAndQuiet();
  }, 90_000);
});

/** One unlabelled sample of a node's metrics endpoint (its address is in the node's start-up line). */
async function scrape(node: NodeProcess, name: string): Promise<number> {
  const up = node.log.find((l) => l.includes('Tally is up'))!;
  const url = (JSON.parse(up) as { metrics: string }).metrics;
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} not in the metrics of ${node.nodeId}`);
  return Number(line.split(' ')[1]);
}
