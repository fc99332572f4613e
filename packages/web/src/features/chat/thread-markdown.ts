import type { Message } from '@tally/protocol';

/**
 * A thread as one Markdown document: a title, then each question as a quote and its answer as
 * written (answers are markdown already). A question whose run left no answer says so.
 */
export function threadAsMarkdown(title: string, messages: readonly Message[], exportedAt: Date): string {
  const answers = new Map(messages.filter((m) => m.role === 'assistant' && m.runId).map((m) => [m.runId!, m.content]));
  const parts = [`# ${oneLine(title) || 'Tally thread'}`, `_Exported from Tally on ${exportedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC._`];
  for (const m of messages) {
    if (m.role !== 'user') continue;
    parts.push(`## Question\n\n${m.content.split('\n').map((line) => `> ${line}`.trimEnd()).join('\n')}`);
    const answer = m.runId ? answers.get(m.runId) : undefined;
    parts.push(answer ? `## Answer\n\n${answer.trim()}` : '_No answer (the run failed, was stopped or is still going)._');
  }
  return `${parts.join('\n\n')}\n`;
}

/** A file name from the thread's title: letters, digits and dashes only. */
export function exportFileName(title: string): string {
  const slug = title.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  return `tally-${slug || 'thread'}.md`;
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
