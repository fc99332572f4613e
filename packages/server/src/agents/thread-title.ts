import type { Intent } from '@tally/protocol';
import { classifyRequest } from './classify-request.js';
import type { BreakdownDimension } from './request-shape.js';

/** At most this many characters, as the sidebar shows them. */
export const MAX_TITLE_LENGTH = 80;

const TOPICS: Record<Intent, string> = {
  cost_analysis: 'Spend overview',
  caching: 'Prompt caching savings',
  model_choice: 'Cheaper models',
  batching: 'Batch API savings',
  latency: 'Latency by model',
  errors: 'Errors and retries',
  general: 'Savings plan',
  greeting: 'Getting started',
  off_topic: 'Off-topic question',
};

const BREAKDOWN_TOPICS: Record<BreakdownDimension, string> = {
  model: 'Spend by model',
  project: 'Spend by project',
  feature: 'Spend by feature',
  day: 'Spend over time',
};

/**
 * A thread's title, from the topic of its first message (not its first words): what it is about,
 * then the project, models and time it names, e.g. "Prompt caching savings: project support, last
 * 7 days". Rule-based, so a thread is named at once, with or without an LLM.
 */
export function threadTitle(text: string, now: Date): string {
  const c = classifyRequest(text, now);
  const topic = c.intent === 'cost_analysis' && c.breakdown ? BREAKDOWN_TOPICS[c.breakdown] : TOPICS[c.intent];
  const details = [
    c.project ? `project ${c.project}` : null,
    c.models.length > 0 ? c.models.slice(0, 2).join(', ') + (c.models.length > 2 ? ` and ${c.models.length - 2} more` : '') : null,
    c.timeRange ? c.timeRange.label.replace(/^the /, '') : null,
  ].filter((d) => d !== null);
  const title = details.length > 0 && c.intent !== 'greeting' && c.intent !== 'off_topic' ? `${topic}: ${details.join(', ')}` : topic;
  return title.length > MAX_TITLE_LENGTH ? `${title.slice(0, MAX_TITLE_LENGTH - 3)}...` : title;
}
