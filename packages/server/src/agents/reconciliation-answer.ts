import type { Reconciliation, ReconciliationCause, ReconciliationProvider } from '@tally/protocol';
import { formatInt, formatUsd } from '../analysis/format.js';
import { OFFLINE_LABEL } from './answer-templates.js';
import { table } from './answer-format.js';

/** Causes listed per provider in the answer; the page shows them all. */
const MAX_CAUSES = 8;

/**
 * The answer to "does our bill match our logs?", written from the reconciliation in every mode:
 * every figure is the code's, to the cent. Without a stored bill it says a connector is needed
 * and how to add one.
 */
export function writeReconciliationAnswer(r: Reconciliation, options: { offline: boolean; scope: string | null }): string {
  const head = options.offline ? [OFFLINE_LABEL, ''] : [];
  const scope = options.scope ? ` (${options.scope})` : '';
  if (!r.hasBilling) {
    return [
      ...head,
      `## No provider bill to compare with yet${scope}`,
      '',
      'Tally compares its cost computed from your request logs with the cost report of your provider, but this workspace has no bill stored yet. Add a connector:',
      '',
      '1. Create an **admin key** at the provider, read-only where it can be: OpenAI (Organization settings → Admin keys, usage and costs read) or Anthropic (Console → Settings → Admin keys).',
      '2. In Tally, open the workspace (**Workspaces** → your workspace → **Connectors**) and add the key; an admin or owner of the workspace can. Or through the API: `PUT /v1/workspaces/<workspace id>/connectors/openai` (or `/anthropic`) with `{"adminKey": "...", "backfillDays": 30}`.',
      '3. Tally fetches the last days at once and then every hour; ask again once the first sync has finished. docs/CONNECTORS.md has the details.',
      '',
      ...computedOnly(r),
    ].join('\n');
  }
  const billed = r.providers.filter((p) => p.billedUsd !== null);
  const lines = [...head, `## Your bill against your logs${scope}`, ''];
  lines.push(
    ...table(
      ['Provider', 'Computed from logs', 'Billed', 'Difference', 'Days billed'],
      billed.map((p) => [p.provider, formatUsd(p.computedUsd), formatUsd(p.billedUsd!), signedUsd(p.differenceUsd!) + pct(p.differencePct), formatInt(p.billedDays)]),
    ),
    '',
  );
  for (const p of billed) lines.push(...providerVerdict(p, r.causes.filter((c) => c.provider === p.provider)), '');
  const partial = r.days.filter((d) => d.partial && d.billedUsd !== null);
  if (partial.length > 0) {
    const figures = partial.map((d) => `${d.provider} ${d.day}: ${formatUsd(d.billedUsd!)} billed so far, ${formatUsd(d.computedUsd)} logged`).join('; ');
    lines.push(`Not compared yet, the provider is still billing the day (${figures}); its totals use the logs until the day is complete.`, '');
  }
  const unbilled = r.providers.filter((p) => p.billedUsd === null);
  if (unbilled.length > 0) lines.push(`No bill stored for ${unbilled.map((p) => `${p.provider} (${formatUsd(p.computedUsd)} computed)`).join(', ')}: add its connector to compare it too.`, '');
  lines.push('The **Reconciliation** page shows every day and model with its causes, and where the dashboard\'s totals come from.');
  return lines.join('\n');
}

function providerVerdict(p: ReconciliationProvider, causes: readonly ReconciliationCause[]): string[] {
  const difference = p.differenceUsd!;
  const lines = [
    `**${p.provider}**: ${Math.abs(difference) < 0.005 ? 'the bill matches the logs to the cent.' : `the bill is ${formatUsd(Math.abs(difference))} ${difference > 0 ? 'above' : 'below'} the cost computed from the logs.`}` +
      ` Totals use ${sourceText(p)}.`,
  ];
  const listed = causes.filter((c) => c.kind !== 'discount' || c.day === null).slice(0, MAX_CAUSES);
  if (listed.length > 0) {
    lines.push('', 'Likely causes:');
    for (const c of listed) lines.push(`- ${causeText(c)}`);
  }
  const explained = p.explainedUsd.unpriced_model + p.explainedUsd.missing_logs + p.explainedUsd.credit + p.explainedUsd.discount;
  const rest = Math.round((difference - explained) * 100) / 100;
  if (listed.length > 0 && Math.abs(difference) >= 0.005) {
    lines.push('', rest === 0 ? 'Together these explain the whole difference.' : `${formatUsd(Math.abs(rest))} of the difference is not explained by these.`);
  }
  return lines;
}

export function causeText(c: ReconciliationCause): string {
  switch (c.kind) {
    case 'unpriced_model':
      return `Unpriced model: ${formatInt(c.requests)} requests of \`${c.model}\` on ${c.day} have no price in Tally's catalog${c.amountUsd === null ? '' : `; billed ${formatUsd(c.amountUsd)}`}. Add its price (Prices) and re-price.`;
    case 'missing_logs':
      return `Missing logs on ${c.day}${c.model ? ` for \`${c.model}\`` : ''}: ${formatInt(c.loggedRequests)} requests logged${c.billedRequests === null ? '' : ` against ${formatInt(c.billedRequests)} billed`}, ${formatUsd(c.amountUsd)} billed beyond the logs.`;
    case 'credit':
      return `Credit on ${c.day}: "${c.lineItem}", ${signedUsd(c.amountUsd)}.`;
    case 'discount':
      return `Discount: the bill is ${Math.abs(c.percent)} % ${c.percent >= 0 ? 'below' : 'above'} the computed cost on all ${formatInt(c.lines)} comparable lines, ${signedUsd(c.amountUsd)} in all.`;
    case 'tokens_mismatch':
      return `Token counts differ on ${c.day}${c.model ? ` for \`${c.model}\`` : ''}: ${formatInt(c.loggedTokens)} logged, ${formatInt(c.billedTokens)} billed.`;
  }
}

function computedOnly(r: Reconciliation): string[] {
  if (r.providers.length === 0) return [];
  return ['Computed from your logs so far: ' + r.providers.map((p) => `${p.provider} ${formatUsd(p.computedUsd)}`).join(', ') + '.'];
}

function sourceText(p: ReconciliationProvider): string {
  const setting = p.setting === 'auto' ? 'automatic choice' : `workspace setting: ${p.setting}`;
  if (p.source === 'mixed') return `the bill for ${formatUsd(p.fromBillingUsd)} and the logs for ${formatUsd(p.fromRequestsUsd)} (${setting}), ${formatUsd(p.totalUsd)} in all`;
  return `${p.source === 'billing' ? 'the bill' : 'the logs'} (${setting}), ${formatUsd(p.totalUsd)}`;
}

function signedUsd(value: number): string {
  return `${value > 0 ? '+' : ''}${formatUsd(value)}`;
}

function pct(value: number | null): string {
  return value === null ? '' : ` (${value > 0 ? '+' : ''}${value} %)`;
}
