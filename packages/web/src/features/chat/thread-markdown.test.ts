import { describe, expect, it } from 'vitest';
import type { Message } from '@tally/protocol';
import { exportFileName, threadAsMarkdown } from './thread-markdown.js';

const T = '22222222-2222-4222-8222-222222222222';
const msg = (id: number, role: Message['role'], content: string, run: number | null): Message => ({
  id: `00000000-0000-4000-8000-00000000000${id}`,
  threadId: T,
  role,
  content,
  runId: run === null ? null : `11111111-1111-4111-8111-11111111111${run}`,
  createdAt: '2026-12-01T10:00:00.000Z',
});

describe('threadAsMarkdown', () => {
  it('puts each question (quoted, every line) before its answer, and says when a run left none', () => {
    const text = threadAsMarkdown(
      'Where is my\nmoney going?',
      [msg(1, 'user', 'Where is my money going?\nBy model.', 1), msg(2, 'assistant', '**gpt-4o**: $12\n', 1), msg(3, 'user', 'And by project?', 2)],
      new Date('2026-12-06T02:10:00Z'),
    );
    expect(text).toBe(
      '# Where is my money going?\n\n_Exported from Tally on 2026-12-06 02:10 UTC._\n\n## Question\n\n> Where is my money going?\n> By model.\n\n## Answer\n\n**gpt-4o**: $12\n\n## Question\n\n> And by project?\n\n_No answer (the run failed, was stopped or is still going)._\n',
    );
  });

  it('names the file after the title, safely', () => {
    expect(exportFileName('Où va l’argent? / Q4 ../../etc')).toBe('tally-ou-va-l-argent-q4-etc.md');
    expect(exportFileName('   ')).toBe('tally-thread.md');
  });
});
