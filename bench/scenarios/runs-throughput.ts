import { createDirectLlm, runDirectLoop } from '../baselines/direct-llm-loop.js';
import { startTallyChild } from '../lib/in-process-tally-child.js';
import { closeLoadUsers, prepareLoadUsers, runLoad } from '../lib/in-process-tally-load.js';
import { startMockLlm } from '../lib/mock-llm.js';
import type { Scenario } from '../lib/scenario.js';
import { readCpuMs } from '../lib/process-stats.js';
import { addIntegrity, emptyIntegrity } from '../lib/seq-tracker.js';
import { benchPostgresUrl } from '../lib/in-process-tally.js';

/**
 * Completed runs per second through the real product (WebSocket send_message to run_completed,
 * agents, PostgreSQL persistence on) with a zero-delay mock LLM, against the harness calling the
 * same mock LLM directly with the same calls and the same concurrency. Rounds alternate.
 */
export const runsThroughput: Scenario = {
  name: 'runs-throughput',
  quick: true,
  async run(ctx) {
    const full = ctx.profile === 'full';
    const sizes = { users: full ? 50 : 16, concurrency: full ? 128 : 64, roundMs: full ? 10_000 : 5_000, rounds: full ? 3 : 2 };
    const mock = await startMockLlm({ deltas: 100, deltaDelayMs: 0 });
    const tally = await startTallyChild({ postgresUrl: benchPostgresUrl(), llmBaseUrl: mock.url, eventLog: 'node', workerConcurrency: sizes.concurrency });
    try {
      const users = await prepareLoadUsers(tally.baseUrl, tally.wsUrl, sizes.users);
      const direct = createDirectLlm(mock.url);
      // Warm-up: connections, JIT and the pipeline's first-use costs stay out of the rounds.
      await runLoad(users, { concurrency: 8, durationMs: 1_000 });
      await runDirectLoop(direct, { concurrency: 8, durationMs: 500 });
      let tallyRuns = 0;
      let tallySeconds = 0;
      let directRuns = 0;
      let directSeconds = 0;
      let failed = 0;
      let tallyCpuMs = 0;
      let directCpuMs = 0;
      let integrity = emptyIntegrity();
      for (let round = 0; round < sizes.rounds; round++) {
        // CPU time per run says what runs/s says, without the machine's other load in it.
        const tallyCpuBefore = await readCpuMs(tally.pid);
        const t = await runLoad(users, { concurrency: sizes.concurrency, durationMs: sizes.roundMs });
        tallyCpuMs += (await readCpuMs(tally.pid)) - tallyCpuBefore;
        tallyRuns += t.completed;
        tallySeconds += t.completed / t.runsPerSecond;
        failed += t.failed;
        integrity = addIntegrity(integrity, t.integrity);
        const directCpuBefore = process.cpuUsage();
        const d = await runDirectLoop(direct, { concurrency: sizes.concurrency, durationMs: sizes.roundMs });
        const directCpu = process.cpuUsage(directCpuBefore);
        directCpuMs += (directCpu.user + directCpu.system) / 1000;
        directRuns += d.completed;
        directSeconds += d.completed / d.runsPerSecond;
        ctx.log(`round ${round + 1}: tally ${t.runsPerSecond.toFixed(0)} runs/s (${t.failed} failed), direct ${d.runsPerSecond.toFixed(0)} runs/s`);
      }
      await closeLoadUsers(users);
      const tallyRate = tallyRuns / tallySeconds;
      const directRate = directRuns / directSeconds;
      return {
        scenario: 'runs-throughput',
        figures: [
          {
            name: `completed runs per second, zero-delay LLM, persistence on, ${sizes.concurrency} in flight`,
            unit: 'runs/s',
            tally: round1(tallyRate),
            baseline: round1(directRate),
            baselineName: 'direct LLM loop (same calls, same concurrency)',
            target: { min: 250, minRatio: 0.5 },
            integrity,
            note:
              `${tallyRuns} runs by ${sizes.users} users over ${sizes.rounds} alternating rounds of ${sizes.roundMs / 1000} s; each run: triage (by the rules: the question is one they read surely, no LLM call), ` +
              `usage queries and analysis, 100 streamed deltas, answer persisted; PostgreSQL, in-process bus. ${failed} runs did not complete.`,
          },
          {
            name: 'CPU time per completed run (the node vs the direct loop)',
            unit: 'ms',
            tally: round1(tallyCpuMs / tallyRuns),
            baseline: round1(directCpuMs / directRuns),
            baselineName: 'direct LLM loop (the harness process)',
            note:
              `User + system CPU of the Tally process (/proc) over its rounds, and of the harness process over the direct rounds, per completed run; ` +
              `the mock LLM's and PostgreSQL's CPU are in neither. Steadier than runs/s on a shared machine: runs/s is about 1000 / this while a core is free.`,
          },
        ],
      };
    } finally {
      await tally.close();
      await mock.close();
    }
  },
};

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
