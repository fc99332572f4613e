import { describe, expect, it } from 'vitest';
import { createGenaiPriceCatalog } from '../../pricing/genai-price-catalog.js';
import { cursorFormat, cursorModel, mapCursorRow } from './cursor-format.js';
import type { MappedItem } from './usage-format.js';

const records = (items: readonly MappedItem[]) => items.map((item) => ('record' in item ? item.record : item.error));
const header = (line: string) => ({ framing: 'csv' as const, lines: [line], head: line, values: [], csvHeader: line.split(',') });

/** The three header generations of the export, with a row of each as the CSV reader hands it on. */
const V1 = 'Date,Model,Input (w/ Cache Write),Input (w/o Cache Write),Cache Read,Output Tokens,Total Tokens,Cost,Cost to you';
const V2 = 'Date,Kind,Model,Max Mode,Input (w/ Cache Write),Input (w/o Cache Write),Cache Read,Output Tokens,Total Tokens,Cost';
const V3 = 'Date,Cloud Agent ID,Automation ID,Kind,Model,Max Mode,Input (w/ Cache Write),Input (w/o Cache Write),Cache Read,Output Tokens,Total Tokens,Cost';
const row = (columns: string, cells: string[]) => Object.fromEntries(columns.split(',').map((c, i) => [c, cells[i] ?? '']));

describe('cursorFormat', () => {
  it('detects all three header generations, and nothing else', () => {
    for (const h of [V1, V2, V3, `Date,User,${V3.slice(5)}`]) expect(cursorFormat.detect(header(h))).toBe(0.98);
    expect(cursorFormat.detect(header('Date,Model,Input,Output'))).toBe(0);
  });

  it('keeps the four token columns apart: they are disjoint (total = their sum)', () => {
    const cells = ['2026-11-13T18:36:05.846Z', 'Included', 'auto', 'No', '28342', '775', '105891', '21282', '156290', '0.19'];
    expect(records(mapCursorRow(row(V2, cells), 2))).toEqual([expect.objectContaining({ ts: '2026-11-13T18:36:05.846Z', model: 'auto', cacheWriteTokens: 28342, inputTokens: 775, cacheReadTokens: 105891, outputTokens: 21282, costUsd: 0.19, feature: 'cursor', status: 'ok' })]);
    const sum = 28342 + 775 + 105891 + 21282;
    expect(sum).toBe(156290);
  });

  it('reads v1 (cost to you), v3 (cloud agents) and team exports (User); "Included" is no cost; unbilled errors are marked', () => {
    expect(records(mapCursorRow(row(V1, ['2026-02-01T10:00:00.000Z', 'claude-4.5-sonnet-thinking', '10', '5', '0', '15', '30', '0.2', '0.1']), 2))).toEqual([expect.objectContaining({ provider: 'anthropic', model: 'claude-sonnet-4.5', costUsd: 0.1 })]);
    expect(records(mapCursorRow(row(V3, ['2026-09-21T04:23:46.134Z', 'bc-parent-1', '', 'Included', 'gpt-5', 'No', '0', '100', '200', '10', '310', 'Included']), 2))).toEqual([expect.objectContaining({ provider: 'openai', model: 'gpt-5', feature: 'cursor/cloud-agent', inputTokens: 100, cacheReadTokens: 200, costUsd: undefined })]);
    const team = `Date,User,${V3.slice(5)}`;
    expect(records(mapCursorRow(row(team, ['2026-07-05T11:00:30.000Z', 'ana@example.com', '', '', 'Errored, Not Charged', 'gpt-5.3', 'No', '0', '25', '5', '7', '37', '0.20']), 2))).toEqual([expect.objectContaining({ user: 'ana@example.com', status: 'error' })]);
  });

  it('reports a row with a bad count or date on its own line', () => {
    expect(records(mapCursorRow(row(V2, ['yesterday', 'Included', 'auto', 'No', 'x', '1', '0', '1', '2', '0']), 7))).toEqual([expect.stringMatching(/Input \(w\/ Cache Write\): expected a whole number.*Date: not a time/)]);
  });

  it('prices every Cursor name of a listed model at its list price, and leaves Cursor\'s own models unpriced', () => {
    const catalog = createGenaiPriceCatalog();
    // Input $/MTok from the providers' price pages (below any long-context tier): what 1,000 input tokens cost.
    const listed: Record<string, number> = {
      'claude-4-sonnet-thinking': 3,
      'claude-4-sonnet-1m': 3,
      'claude-4.5-sonnet-thinking-max': 3,
      'claude-4.1-opus': 15,
      'claude-4.5-haiku': 1,
      'claude-3.5-sonnet': 3,
      'claude-3.7-sonnet-thinking': 3,
      'claude-3.5-haiku': 0.8,
      'gpt-5-high': 1.25,
      'gpt-5-high-fast': 1.25,
      'gpt-5-codex-high': 1.25,
      'gpt-5.1-codex-max': 1.25,
      'o3-mini-high': 1.1,
      'gemini-3-pro': 2,
    };
    const price = (name: string) =>
      catalog.priceCall({ ...cursorModel(name), at: new Date('2025-12-01T00:00:00Z'), inputTokens: 1000, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 0, batch: false });
    for (const [name, perMTok] of Object.entries(listed)) expect(price(name), name).toBeCloseTo(perMTok / 1000, 12);
    expect(cursorModel('gpt-5.1-codex-max-high')).toEqual({ provider: 'openai', model: 'gpt-5.1-codex-max' });
    for (const own of ['auto', 'composer-1', 'cursor-small']) expect(price(own), own).toBeNull();
  });

  it('names Cursor models as the price catalog knows them', () => {
    expect(cursorModel('claude-4-opus-thinking')).toEqual({ provider: 'anthropic', model: 'claude-opus-4' });
    expect(cursorModel('gemini-2.5-pro')).toEqual({ provider: 'google', model: 'gemini-2.5-pro' });
    expect(cursorModel('composer-1')).toEqual({ model: 'composer-1' });
  });
});
