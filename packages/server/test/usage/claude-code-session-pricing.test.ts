import { describe, expect, it } from 'vitest';
import { createGenaiPriceCatalog } from '../../src/pricing/genai-price-catalog.js';
import { createUsageIngester } from '../../src/usage/ingest/ingest-usage.js';
import { createMemoryUsageStore } from '../support/memory-usage-store.js';

/**
 * A Claude Code session, as its JSONL log has it (1-hour cache writes, one response written as
 * several lines), ingested end to end: the stored cost equals the session's list price worked out
 * here from Anthropic's published prices, not from Tally's pricing code. Priced all at the
 * 5-minute write rate, as before, it came out well under (the issue measured 14.9 % on a real one).
 *
 * Claude Sonnet 4.5, USD per million tokens (https://docs.anthropic.com/en/docs/about-claude/pricing):
 * input 3, 5-minute cache write 3.75, 1-hour cache write 6, cache read 0.30, output 15.
 */
const LIST = { input: 3, write5m: 3.75, write1h: 6, read: 0.3, output: 15 };

interface Turn {
  input: number;
  read: number;
  write5m: number;
  write1h: number;
  output: number;
}

const turns: Turn[] = [
  { input: 4, read: 0, write5m: 0, write1h: 18_500, output: 420 },
  { input: 6, read: 18_500, write5m: 0, write1h: 2_285, output: 159 },
  { input: 3, read: 20_785, write5m: 300, write1h: 1_900, output: 870 },
  { input: 12, read: 22_985, write5m: 0, write1h: 4_100, output: 1_210 },
];

function lines(): string[] {
  return turns.flatMap((t, i) => {
    const usage = (output: number) => ({
      input_tokens: t.input,
      cache_creation_input_tokens: t.write5m + t.write1h,
      cache_read_input_tokens: t.read,
      cache_creation: { ephemeral_5m_input_tokens: t.write5m, ephemeral_1h_input_tokens: t.write1h },
      output_tokens: output,
    });
    const line = (output: number, uuid: string) =>
      JSON.stringify({
        type: 'assistant',
        uuid,
        sessionId: 's-1',
        cwd: '/home/dev/app',
        timestamp: new Date(Date.parse('2026-11-20T09:00:00Z') + i * 60_000).toISOString(),
        requestId: `req_${i}`,
        message: { id: `msg_${i}`, model: 'claude-sonnet-4-5-20250929', usage: usage(output) },
      });
    // Claude Code writes a response once per content block; earlier lines carry a partial output.
    return [line(3, `u${i}a`), line(t.output, `u${i}b`)];
  });
}

describe('a Claude Code session priced end to end', () => {
  it('costs its list price, with 1-hour writes at 2x input', async () => {
    const store = createMemoryUsageStore();
    const ingester = createUsageIngester({ store, prices: createGenaiPriceCatalog() });
    const summary = await ingester.ingest('owner', [lines().join('\n') + '\n']);
    expect(summary).toMatchObject({ inserted: 4, rejected: 0 });
    const [row] = await store.aggregate('owner');
    const sum = (pick: (t: Turn) => number) => turns.reduce((a, t) => a + pick(t), 0);
    expect(row).toMatchObject({ requests: 4, cacheWriteTokens: sum((t) => t.write5m), cacheWrite1hTokens: sum((t) => t.write1h), outputTokens: sum((t) => t.output) });
    const list =
      (sum((t) => t.input) * LIST.input + sum((t) => t.read) * LIST.read + sum((t) => t.write5m) * LIST.write5m + sum((t) => t.write1h) * LIST.write1h + sum((t) => t.output) * LIST.output) / 1e6;
    expect(row!.costUsd).toBeCloseTo(list, 12);
    // What pricing every write at the 5-minute rate gave: materially under the list price.
    const old = list - (sum((t) => t.write1h) * (LIST.write1h - LIST.write5m)) / 1e6;
    expect(1 - old / list).toBeGreaterThan(0.1);
  });
});
