import { createDirectLlm, directRun } from '../baselines/direct-llm-loop.js';
import { createLatencyHistogram, p99Shortfall } from '../lib/histogram.js';
import { benchPostgresUrl } from '../lib/in-process-tally.js';
import { startTallyChild } from '../lib/in-process-tally-child.js';
import { closeLoadUsers, prepareLoadUsers, runOnce } from '../lib/in-process-tally-load.js';
import { sentAtOf, startMockLlm } from '../lib/mock-llm.js';
import type { Scenario } from '../lib/scenario.js';
import { addIntegrity, emptyIntegrity } from '../lib/seq-tracker.js';

/**
 * Time to first token on an idle node, one run at a time, alternating with the direct call.
 * The LLM stamps each token with the time it sent it, so "added time" is what Tally adds on the
 * token's way from the LLM to the user's socket (AI SDK parsing, the agent, the event log write,
 * the bus, the gateway), compared with the same token's way to the harness calling the LLM
 * directly. Also reported: send_message to first delta, which includes the pipeline before the
 * answer (run creation and claim, triage (by the rules for this question: no LLM call), usage queries, analysis).
 */
/**
 * Answers of this many chunks on both sides: the first token is what is measured, and short
 * answers let the samples reach their count (with 100-chunk answers a run took 2 s, and the full
 * profile's 120 s had room for 7 runs, whose "p99" was their maximum).
 */
const ANSWER_CHUNKS = 5;

export const timeToFirstToken: Scenario = {
  name: 'time-to-first-token',
  quick: true,
  async run(ctx) {
    const full = ctx.profile === 'full';
    const samples = full ? 300 : 120;
    const mock = await startMockLlm({ deltas: 100, deltaDelayMs: 20 });
    const tally = await startTallyChild({ postgresUrl: benchPostgresUrl(), llmBaseUrl: mock.url, eventLog: 'sql', workerConcurrency: 4 });
    try {
      const [user] = await prepareLoadUsers(tally.baseUrl, tally.wsUrl, 1);
      const direct = createDirectLlm(mock.url);
      const tallyPath = createLatencyHistogram();
      const directPath = createLatencyHistogram();
      const tallyFirst = createLatencyHistogram();
      const directFirst = createLatencyHistogram();
      let integrity = emptyIntegrity();
      let failed = 0;
      for (let i = 0; i < 3; i++) {
        await runOnce(user!, { paceMs: 0, chunks: ANSWER_CHUNKS });
        await directRun(direct, { chunks: ANSWER_CHUNKS });
      }
      // A sample count, capped in time: a loaded machine must not blow the profile's budget.
      const deadline = performance.now() + (full ? 150_000 : 60_000);
      for (let i = 0; i < samples && performance.now() < deadline; i++) {
        const t = await runOnce(user!, { chunks: ANSWER_CHUNKS });
        integrity = addIntegrity(integrity, t.integrity);
        const sent = t.firstDeltaText === undefined ? undefined : sentAtOf(t.firstDeltaText);
        if (!t.completed || sent === undefined || t.firstDeltaAt === undefined || t.firstDeltaMs === undefined) {
          failed++;
          continue;
        }
        tallyPath.recordMs(t.firstDeltaAt - sent);
        tallyFirst.recordMs(t.firstDeltaMs);
        const d = await directRun(direct, { chunks: ANSWER_CHUNKS });
        directPath.recordMs(d.firstTokenAt - sentAtOf(d.firstTokenText)!);
        directFirst.recordMs(d.firstTokenMs);
      }
      await closeLoadUsers([user!]);
      const tp = tallyPath.summary();
      const dp = directPath.summary();
      const tf = tallyFirst.summary();
      const df = directFirst.summary();
      const note = `${tp.count} idle runs alternating with direct calls (same mock LLM, same AI SDK client, answers of ${ANSWER_CHUNKS} chunks). First token from LLM to user: Tally p50 ${r2(tp.p50)} / p99 ${r2(tp.p99)} ms, direct p50 ${r2(dp.p50)} / p99 ${r2(dp.p99)} ms. ${failed} runs unusable.`;
      const tooFew = p99Shortfall(tp, 'idle runs');
      return {
        scenario: 'time-to-first-token',
        figures: [
          { name: 'added time to first token, idle, median', unit: 'ms', tally: r2(tp.p50 - dp.p50), target: { max: 1 }, integrity, note },
          { name: 'added time to first token, idle, p99', unit: 'ms', tally: r2(tp.p99 - dp.p99), target: { max: 5 }, note, ...(tooFew ? { notJudged: tooFew } : {}) },
          {
            name: 'send_message to first delta, idle, median',
            unit: 'ms',
            tally: r2(tf.p50),
            baseline: r2(df.p50),
            baselineName: 'direct call: request to first token',
            note: `No target: Tally's includes the whole pipeline before the answer streams (run created and claimed, triage by the rules (no LLM call for this question), usage queries, analysis); p99 ${r2(tf.p99)} vs ${r2(df.p99)} ms.`,
          },
        ],
      };
    } finally {
      await tally.close();
      await mock.close();
    }
  },
};

function r2(n: number): number {
  return Math.round(n * 100) / 100;
}
