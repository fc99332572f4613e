import { describe, expect, it } from 'vitest';
import { MAX_TITLE_LENGTH, threadTitle } from './thread-title.js';

const now = new Date('2025-03-15T12:00:00Z');

describe('threadTitle', () => {
  it.each([
    ['Where is my AI money going?', 'Spend overview'],
    ['What is our spend by model?', 'Spend by model'],
    ['Which project costs the most?', 'Spend by project'],
    ['How much would prompt caching save?', 'Prompt caching savings'],
    ['Should we switch to a cheaper model?', 'Cheaper models'],
    ['Could our nightly jobs use a batch API?', 'Batch API savings'],
    ['What do errors and retries cost us?', 'Errors and retries'],
    ['Which model is slowest?', 'Latency by model'],
    ['How can we reduce our AI bill?', 'Savings plan'],
    ['Hello!', 'Getting started'],
    ["What's the weather in Paris?", 'Off-topic question'],
  ])('%s -> %s', (text, title) => {
    expect(threadTitle(text, now)).toBe(title);
  });

  it('adds the project, models and time range the message names', () => {
    expect(threadTitle('How much would caching save for project support in the last 7 days?', now)).toBe('Prompt caching savings: project support, last 7 days');
    expect(threadTitle('What does gpt-4o cost?', now)).toBe('Spend overview: gpt-4o');
  });

  it('is never longer than the sidebar shows', () => {
    const title = threadTitle(`What does ${Array.from({ length: 20 }, (_, i) => `gpt-4o-v${i}`).join(' ')} cost for project ${'x'.repeat(90)}?`, now);
    expect(title.length).toBeLessThanOrEqual(MAX_TITLE_LENGTH);
    expect(title.startsWith('Spend overview: project ')).toBe(true);
  });
});
