import { isAnalysisIntent } from '@tally/protocol';
import type { LanguageModelClient } from '../llm/language-model-client.js';
import type { PriceCatalog } from '../pricing/price-catalog.js';
import type { Pipeline, PipelineResult, RunContext } from '../runs/run-context.js';
import type { UsageStore } from '../usage/usage-store.js';
import { runActions } from './actions.js';
import { createAgentRun } from './agent-run.js';
import { runDataAgent } from './data-agent.js';
import { runDataHelper } from './data-helper.js';
import { runOptimization } from './optimization.js';
import { runReconciliationData, runReconciliationReply, type ReconciliationSource } from './reconciliation-step.js';
import { runReply } from './reply.js';
import { runReporting } from './reporting.js';
import type { ThreadHistory } from './thread-history.js';
import { runTriage } from './triage.js';
import { createUsageTools } from './usage-tools.js';

export interface SupervisorDeps {
  usage: UsageStore;
  prices: PriceCatalog;
  /** Null for offline mode: rule-based triage and template answers over the same analysis. */
  llm: LanguageModelClient | null;
  /** The thread's earlier questions: the first analysis question of a thread gets the full report. Without it every question is the first. */
  history?: ThreadHistory;
  /** Computed versus billed, for "does our bill match our logs?"; without it such a question gets the cost analysis. */
  reconciliation?: ReconciliationSource;
  now?: () => Date;
}

/**
 * The pipeline of one message: triage, then a short reply (a greeting, an off-topic message), the
 * data helper (no data), or data,
 * optimization, actions and reporting, each framed by agent_started/agent_completed inside the
 * supervisor's own pair. The run's signal is checked before every step and reaches every LLM call
 * and store call; on a stop the signal's reason is thrown and nothing more is emitted. The terminal
 * event is the run worker's, from the result or the error.
 */
export function createSupervisor(deps: SupervisorDeps): Pipeline {
  const now = deps.now ?? (() => new Date());
  return {
    async run(ctx: RunContext): Promise<PipelineResult> {
      const run = createAgentRun(ctx, now);
      const started = now();
      await run.emit({ type: 'agent_started', data: { agent: 'supervisor' } });
      const tools = createUsageTools(run, deps.usage);

      const triage = await run.step('triage', () => runTriage(run, { tools, llm: deps.llm, history: deps.history }));
      let result: PipelineResult;
      let summary: string;
      if (!isAnalysisIntent(triage.intent)) {
        result = await run.step('reporting', () => runReply(run, triage));
        summary = `${triage.intent}: a short reply, no analysis`;
      } else if (!triage.sufficient) {
        result = await run.step('data_helper', () => runDataHelper(run, { offline: deps.llm === null }));
        summary = 'no usage data; the data helper explained how to load it';
      } else if (triage.reconciliation && deps.reconciliation) {
        const reconciliation = deps.reconciliation;
        const compared = await run.step('data', () => runReconciliationData(run, { reconciliation }, triage));
        result = await run.step('reporting', () => runReconciliationReply(run, compared, { offline: deps.llm === null }, triage));
        summary = `${triage.intent}: bill against logs, ${compared.providers.length} providers`;
      } else {
        const data = await run.step('data', () => runDataAgent(run, { tools }, triage));
        // Analysis and plan are computed from the data in code: not checkpointed (about 25 KB a
        // run, rewritten at every flush), recomputed by a node that takes the run over.
        const analysis = await run.step('optimization', () => runOptimization(run, { prices: deps.prices }, { triage, data }), { derived: true });
        const plan = await run.step('actions', () => runActions(run, analysis), { derived: true });
        result = await run.step('reporting', () => runReporting(run, { llm: deps.llm, usage: deps.usage, prices: deps.prices }, { triage, data, analysis, plan }));
        summary = `${triage.intent}: ${analysis.recommendations.length} recommendations, ${triage.depth} ${result.report?.mode ?? 'offline'} answer`;
      }
      run.checkpoint();
      await run.emit({
        type: 'agent_completed',
        data: { agent: 'supervisor', durationMs: Math.max(0, now().getTime() - started.getTime()), summary },
      });
      return result;
    },
  };
}
