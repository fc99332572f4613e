import type { Reconciliation } from '@tally/protocol';
import type { PipelineResult } from '../runs/run-context.js';
import type { TimeRange } from '../usage/usage-store.js';
import type { AgentRun, StepResult } from './agent-run.js';
import { lineChunks } from './answer-format.js';
import { writeReconciliationAnswer } from './reconciliation-answer.js';
import type { Triage } from './triage.js';

/** What the agents read the reconciliation through (reconciliation/reconciliation-service.ts). */
export interface ReconciliationSource {
  reconcile(workspaceId: string, range?: TimeRange): Promise<Reconciliation>;
}

/** The data step of a reconciliation question: one named tool call over the run's workspace. */
export async function runReconciliationData(run: AgentRun, deps: { reconciliation: ReconciliationSource }, triage: Triage): Promise<StepResult<Reconciliation>> {
  const args = { from: triage.range?.from ?? null, to: triage.range?.to ?? null };
  const result = await run.tool('data', 'reconcile_billing', args, () => deps.reconciliation.reconcile(run.workspaceId, triage.range), (r) => ({
    hasBilling: r.hasBilling,
    providers: r.providers.map((p) => ({ provider: p.provider, computedUsd: p.computedUsd, billedUsd: p.billedUsd, differenceUsd: p.differenceUsd })),
    causes: r.causes.length,
  }));
  return { value: result, summary: `${result.providers.length} providers compared, ${result.causes.length} likely causes${result.hasBilling ? '' : ', no bill stored'}` };
}

/** The answer, from the template in every mode: the figures are the reconciliation's, nothing an LLM could change. */
export async function runReconciliationReply(run: AgentRun, reconciliation: Reconciliation, deps: { offline: boolean }, triage: Triage): Promise<StepResult<PipelineResult>> {
  const answer = writeReconciliationAnswer(reconciliation, { offline: deps.offline, scope: triage.rangeLabel });
  await run.deltas('reporting', lineChunks(answer));
  return { value: { answer, report: null }, summary: `reconciliation answer, ${answer.length} characters` };
}
