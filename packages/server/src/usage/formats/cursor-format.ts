import type { UsageRecordInput } from '@tally/protocol';
import { asObject, countOf, isoTimeOf, stringOf } from './field-readers.js';
import { checkedItem, errorItem, NOTHING, type MappedItem, type UsageFormat } from './usage-format.js';

const WITH_CACHE_WRITE = 'Input (w/ Cache Write)';
const WITHOUT_CACHE_WRITE = 'Input (w/o Cache Write)';
const CACHE_READ = 'Cache Read';
const OUTPUT = 'Output Tokens';

/**
 * Cursor's own model names, as the price catalog knows them: `claude-4.5-sonnet-thinking` →
 * `claude-sonnet-4.5` (Anthropic names 4 and later family first, 3.x version first, as Cursor
 * does); `-thinking`, `-max` (Max Mode: more context, same per-token price) and `-1m` (the 1M
 * context window, priced by the catalog's long-context tiers) name how the model was run, not
 * another model.
 */
const CURSOR_CLAUDE = /^claude-(\d+(?:\.\d+)?)-(sonnet|opus|haiku)((?:-(?:thinking|max|1m))*)$/i;
/** Reasoning effort and speed settings Cursor appends to OpenAI model names (`gpt-5-high-fast`): same model, same price. */
const OPENAI_SETTING = /-(xhigh|high|medium|low|minimal|fast|max)$/i;
/** Cursor names for models whose API id says more (`gemini-3-pro` is Google's `gemini-3-pro-preview`). */
const CURSOR_ALIASES: Readonly<Record<string, { provider: string; model: string }>> = {
  'gemini-3-pro': { provider: 'google', model: 'gemini-3-pro-preview' },
};

/**
 * Cursor usage CSV exports (dashboard → Usage → Export CSV, shared/FORMATS.md §9). Three header
 * generations: `Date,Model,Input (w/ Cache Write),…,Cost,Cost to you`; `Date,Kind,Model,Max Mode,…`;
 * `Date,Cloud Agent ID,Automation ID,Kind,Model,Max Mode,…` (team exports add `User`). The four
 * token columns are **disjoint**: `Input (w/ Cache Write)` are input tokens written to the cache,
 * `Input (w/o Cache Write)` plain input, `Cache Read` cache reads, `Output Tokens` output; `Total
 * Tokens` is their sum. `Cost` is a dollar amount, or `Included` (in the plan): kept when a number.
 */
export const cursorFormat: UsageFormat = {
  name: 'cursor',
  title: 'Cursor usage CSV exports (three header variants)',
  framings: ['csv'],
  detect(sample) {
    const header = sample.csvHeader ?? [];
    return [WITH_CACHE_WRITE, WITHOUT_CACHE_WRITE, CACHE_READ].every((c) => header.includes(c)) ? 0.98 : 0;
  },
  createMapper: () => ({ map: mapCursorRow, flush: () => NOTHING }),
};

/** Maps one row of a Cursor export. */
export function mapCursorRow(unit: unknown, lineNumber: number): readonly MappedItem[] {
  const row = asObject(unit);
  if (!row) return [errorItem(lineNumber, 'expected a CSV row')];
  const problems: string[] = [];
  const cacheWrite = countOf(row[WITH_CACHE_WRITE], WITH_CACHE_WRITE, problems) ?? 0;
  const input = countOf(row[WITHOUT_CACHE_WRITE], WITHOUT_CACHE_WRITE, problems) ?? 0;
  const cacheRead = countOf(row[CACHE_READ], CACHE_READ, problems) ?? 0;
  const output = countOf(row[OUTPUT], OUTPUT, problems) ?? 0;
  const ts = isoTimeOf(row['Date']);
  if (!ts) problems.push(ts === null ? `Date: not a time: ${JSON.stringify(row['Date'])}` : 'no Date');
  const rawModel = stringOf(row['Model'])?.trim();
  if (!rawModel) problems.push('no Model');
  if (problems.length > 0 || !ts || !rawModel) return [errorItem(lineNumber, problems.join('; '))];
  const kind = stringOf(row['Kind']) ?? '';
  const { provider, model } = cursorModel(rawModel);
  const cost = costOf(row['Cost to you']) ?? costOf(row['Cost']);
  const record: UsageRecordInput = {
    ts,
    provider,
    model,
    inputTokens: input,
    cacheWriteTokens: cacheWrite,
    cacheReadTokens: cacheRead,
    outputTokens: output,
    // "Errored, Not Charged" / "Aborted, Not Charged": the tokens ran, Cursor did not bill them.
    status: /errored|aborted/i.test(kind) ? 'error' : 'ok',
    feature: stringOf(row['Cloud Agent ID']) ? 'cursor/cloud-agent' : stringOf(row['Automation ID']) ? 'cursor/automation' : 'cursor',
    user: stringOf(row['User'])?.trim(),
    costUsd: cost,
  };
  return [checkedItem(lineNumber, record)];
}

/** A dollar amount (`0.19`, `$0.19`); `Included`, `-` and other words are no amount. */
function costOf(cell: unknown): number | undefined {
  const text = stringOf(cell)?.trim().replace(/^\$/, '');
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/**
 * Cursor's model name, with the provider when it is clear from the name. Cursor's own models
 * (`auto`, `composer-1`, `cursor-small`) have no list price anywhere: they stay as named and come
 * out unpriced (the export's own `Cost` is kept for reference).
 */
export function cursorModel(name: string): { provider?: string; model: string } {
  const alias = CURSOR_ALIASES[name.toLowerCase()];
  if (alias) return alias;
  const claude = CURSOR_CLAUDE.exec(name);
  if (claude) {
    const version = claude[1]!;
    const family = claude[2]!.toLowerCase();
    return { provider: 'anthropic', model: Number.parseFloat(version) >= 4 ? `claude-${family}-${version}` : `claude-${version}-${family}` };
  }
  if (/^claude-/i.test(name)) return { provider: 'anthropic', model: name.replace(/-thinking$/i, '') };
  if (/^(gpt-|o\d)/i.test(name)) return { provider: 'openai', model: withoutSettings(name) };
  if (/^gemini-/i.test(name)) return { provider: 'google', model: name };
  return { model: name };
}

/** An OpenAI name without Cursor's settings; `-max` of a Codex model is part of its name (`gpt-5.1-codex-max`). */
function withoutSettings(name: string): string {
  let model = name;
  for (let match = OPENAI_SETTING.exec(model); match; match = OPENAI_SETTING.exec(model)) {
    const rest = model.slice(0, match.index);
    if (match[1]!.toLowerCase() === 'max' && /-codex$/i.test(rest)) break;
    model = rest;
  }
  return model;
}
