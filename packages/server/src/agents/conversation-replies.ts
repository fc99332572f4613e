import { formatInt } from '../analysis/format.js';
import type { UsageOverview } from '../usage/usage-store.js';

/** Questions Tally answers, offered to someone who says hello or asks about something else. */
export const EXAMPLE_QUESTIONS = [
  'Where is my AI money going?',
  'How much would prompt caching save?',
  'Could a cheaper model do the same work?',
  'Can our nightly jobs use a batch API?',
  'What do errors and retries cost us?',
  'Which model is slowest?',
] as const;

/** A short greeting: what Tally does, what the user has loaded, and what to ask. No analysis. */
export function writeGreeting(overview: UsageOverview): string {
  const data =
    overview.records > 0
      ? `You have ${formatInt(overview.records)} usage records loaded${overview.from && overview.to ? `, from ${overview.from.slice(0, 10)} to ${overview.to.slice(0, 10)}` : ''}.`
      : 'You have no usage loaded yet: upload a usage export on the Usage page (or run `tally ingest`) and ask away.';
  return [
    "Hello! I'm Tally. I read your team's LLM usage records and tell you where the money goes and what would cut it, with every figure computed from your own data.",
    '',
    data,
    '',
    'You could ask:',
    '',
    ...EXAMPLE_QUESTIONS.map((q) => `- ${q}`),
    '',
  ].join('\n');
}

/** A polite decline for a question that is not about LLM usage or cost. */
export function writeOffTopicReply(): string {
  return [
    "Sorry, I can only help with your team's LLM usage and cost: where the money goes, and what prompt caching, batch APIs, " +
      'a cheaper model or fewer failed calls would save.',
    '',
    `Try, for example: "${EXAMPLE_QUESTIONS[0]}" or "${EXAMPLE_QUESTIONS[1]}"`,
    '',
  ].join('\n');
}
