import { deliverRuns, openSockets, refusalFailures, tallyTarget, type DeliveryRound } from '../lib/delivery-load.js';
import { createLatencyHistogram } from '../lib/histogram.js';
import { closeLoadUsers, prepareLoadUsers } from '../lib/in-process-tally-load.js';
import { startMockLlm, type MockLlm } from '../lib/mock-llm.js';
import { alternate, spreadOf, spreadText } from '../lib/round-stats.js';
import type { Figure, Scenario } from '../lib/scenario.js';
import { addIntegrity, emptyIntegrity } from '../lib/seq-tracker.js';
import { startTally, type TallyProcess } from '../lib/tally-process.js';
import type { BenchSocket } from '../lib/ws-client.js';

const RUNS = 100;
const SPREAD_MS = 2_000;
const USERS = 20;

/**
 * Runs whose question makes the reporting agent call tools: triage answers `general` (the intent
 * answered with tools over the records), the LLM's first step calls `top_spend`, the tool queries
 * the user's usage, the second step streams the answer (100 chunks at 50/s). Against the same load
 * whose answer streams from the facts alone (no tools), on a second node with its own mock LLM.
 * 100 runs asked for over 2 s per round, three rounds each, alternating which goes first.
 */
/** A question the rules are not sure of (no intent's words), so triage asks the (mock) LLM, which answers `general`, on both sides. */
const OPEN_QUESTION = (i: number) => `Tell me about my usage (bench ${i})`;

export const toolRuns: Scenario = {
  name: 'tool-runs',
  quick: true,
  async run(ctx) {
    const llms: MockLlm[] = [];
    const nodes: TallyProcess[] = [];
    const sockets: BenchSocket[] = [];
    try {
      llms.push(await startMockLlm({ deltas: 100, deltaDelayMs: 20, intent: 'general' }), await startMockLlm({ deltas: 100, deltaDelayMs: 20 }));
      nodes.push(...(await Promise.all(llms.map((llm) => startTally({ llmBaseUrl: llm.url, database: 'postgres' })))));
      const sides = await Promise.all(
        nodes.map(async (node) => {
          const users = await prepareLoadUsers(node.url, node.wsUrl, USERS);
          await closeLoadUsers(users);
          const open = await openSockets(tallyTarget(node.wsUrl, users.map((u) => u.user)), RUNS);
          sockets.push(...open);
          return open;
        }),
      );
      await Promise.all(sides.map((s) => deliverRuns(s, { runs: 20, spreadMs: 500, timeoutMs: 60_000, question: OPEN_QUESTION })));
      const rounds = { tools: [] as DeliveryRound[], plain: [] as DeliveryRound[] };
      for (let round = 1; round <= 3; round++) {
        for (const which of alternate(round, 'tools' as const, 'plain' as const)) {
          const result = await deliverRuns(sides[which === 'tools' ? 0 : 1]!, { runs: RUNS, spreadMs: SPREAD_MS, timeoutMs: 120_000, question: OPEN_QUESTION });
          rounds[which].push(result);
          ctx.log(`round ${round}, ${which}: p99 ${result.latency.summary().p99.toFixed(1)} ms, first delta p99 ${result.sendToFirstDelta.summary().p99.toFixed(0)} ms, ${result.wallSeconds.toFixed(1)} s, failed ${result.failed}`);
        }
      }
      const calls = (await llms[0]!.requests()).toolCalls;
      const merge = (list: DeliveryRound[]) => {
        const latency = createLatencyHistogram();
        const first = createLatencyHistogram();
        let integrity = emptyIntegrity();
        for (const r of list) {
          latency.add(r.latency);
          first.add(r.sendToFirstDelta);
          integrity = addIntegrity(integrity, r.integrity);
        }
        return { latency: latency.summary(), first: first.summary(), integrity, failed: list.reduce((n, r) => n + r.failed, 0), seconds: spreadOf(list.map((r) => r.wallSeconds)) };
      };
      const t = merge(rounds.tools);
      const p = merge(rounds.plain);
      const common = `${RUNS} runs asked for over ${SPREAD_MS / 1000} s a round, 3 rounds each, alternating; ${calls} tool calls answered by the mock LLM (top_spend by model, then the answer). Round length with tools ${spreadText(t.seconds, 1, ' s')}, without ${spreadText(p.seconds, 1, ' s')}. Runs failed: ${t.failed} with tools, ${p.failed} without. PostgreSQL, in-process bus.`;
      const figures: Figure[] = [
        {
          name: `time to first token p99, runs that call a tool, ${RUNS} runs`,
          unit: 'ms',
          tally: t.first.p99,
          baseline: p.first.p99,
          baselineName: 'the same load answered without tools',
          integrity: t.integrity,
          failures: [...(t.failed > 0 ? [`${t.failed} runs with tools did not complete`] : []), ...refusalFailures([...rounds.tools, ...rounds.plain])],
          note: `send_message to first delta, per run: with tools p50 ${t.first.p50.toFixed(0)} ms (the tool step before the answer included), without ${p.first.p50.toFixed(0)} ms. ${common} No target stated.`,
        },
        {
          name: `delivery p99 (LLM write to client), runs that call a tool, ${RUNS} runs`,
          unit: 'ms',
          tally: t.latency.p99,
          baseline: p.latency.p99,
          baselineName: 'the same load answered without tools',
          integrity: t.integrity,
          note: `Per chunk of the answer. With tools p50 ${t.latency.p50.toFixed(2)} ms over ${t.latency.count} chunks; without p50 ${p.latency.p50.toFixed(2)} ms over ${p.latency.count}. No target stated.`,
        },
      ];
      return { scenario: 'tool-runs', figures };
    } finally {
      await Promise.all(sockets.map((s) => s.close()));
      await Promise.all(nodes.map((n) => n.close()));
      await Promise.all(llms.map((l) => l.close()));
    }
  },
};
