import type { PipelineResult } from '../runs/run-context.js';
import type { AgentRun, StepResult } from './agent-run.js';
import { OFFLINE_LABEL } from './answer-templates.js';
import { lineChunks } from './answer-format.js';

/**
 * When there is no usage data: says exactly what to load and how. Written from a template in every
 * mode, since commands and field names must be exact.
 */
export async function runDataHelper(run: AgentRun, deps: { offline: boolean }): Promise<StepResult<PipelineResult>> {
  const answer = writeDataHelperAnswer(deps.offline);
  await run.deltas('data_helper', lineChunks(answer));
  return { value: { answer, report: null }, summary: 'no usage data: explained how to load it' };
}

export function writeDataHelperAnswer(offline: boolean): string {
  return [
    ...(offline ? [OFFLINE_LABEL, ''] : []),
    '## Tally needs your usage data first',
    '',
    'There are no LLM usage records in this workspace yet, so there is nothing to analyse. Load them in any of these ways:',
    '',
    '1. **Drag and drop** a usage file onto this page: NDJSON, one JSON object per line, one line per LLM call.',
    '2. **CLI**: `tally ingest usage.ndjson --url <server URL>` (sign in with `--email` and `--password`, or `TALLY_EMAIL` and `TALLY_PASSWORD`; `--workspace <name>` for a team workspace, your personal one otherwise).',
    '3. **API**: `POST /v1/workspaces/<workspace id>/usage` with the NDJSON as the body and your token or an API key of the workspace (your personal workspace\'s id is your user id; `tally workspace list` shows the others):',
    '',
    '   ```sh',
    '   curl -X POST "$TALLY_URL/v1/workspaces/$TALLY_WORKSPACE/usage" -H "Authorization: Bearer $TALLY_TOKEN" \\',
    '     -H "Content-Type: application/x-ndjson" --data-binary @usage.ndjson',
    '   ```',
    '',
    'No data at hand? `tally generate-usage --out usage.ndjson` writes a month of realistic sample traffic to try Tally with.',
    '',
    'Each line needs at least `ts`, `model`, `inputTokens` and `outputTokens`:',
    '',
    '```json',
    '{"ts":"2026-09-02T15:04:05+02:00","model":"gpt-4o-mini","inputTokens":812,"outputTokens":64}',
    '```',
    '',
    'These fields unlock the rest of the analysis: `project` and `feature` (where the money goes), ' +
      '`status` and `attempt` (errors and retries), `promptPrefixHash` and `prefixTokens` (prompt caching), ' +
      '`interactive: false` for jobs nobody waits on (batch APIs), `maxOutputTokens` (output limits) and `latencyMs` (latency). ' +
      'docs/USAGE-FORMAT.md describes every field.',
    '',
  ].join('\n');
}
