/**
 * What shape of answer a message asks for, read by rules from its words: a greeting or an
 * off-topic message gets a short reply and no analysis; an analysis question gets the part it asks
 * about, and the full report and plan only when it asks for them (or it is the thread's first
 * analysis question: see triage). Pure functions of the lower-cased message.
 */

/** Hello, thanks, or what Tally is and can do: a short greeting and the kinds of questions it answers. */
const GREETING = [
  /^(hi|hello|hey|hiya|howdy|yo|greetings|good (morning|afternoon|evening|day))\b/,
  /^(thanks|thank you|thx|cheers|great|ok|okay|cool|nice)\b/,
  /\bwhat can (you|tally) do\b/,
  /\bwho are you\b/,
  /\bwhat (is|'s) tally\b/,
  /\bhow (do|does) (this|tally|it) work\b/,
  /^help\b/,
];

/** Words that make a message about LLM usage and cost, even when no intent rule matches it. */
const ON_TOPIC =
  /\b(ai|llms?|models?|tokens?|usage|prompts?|apis?|openai|anthropic|claude|gpt[\w.-]*|gemini|mistral|tally|spend|spent|costs?|requests?|calls?|reports?|plan|data|records?|projects?|features?|providers?|invoices?|cach\w*|prices?|pricing|dollars?|budget|month|monthly|week|weekly|savings?|save|analy[sz]\w*|summary|overview|usd)\b|\$/;

/** The message has a word about LLM usage, cost or Tally. */
export function isOnTopic(t: string): boolean {
  return ON_TOPIC.test(t);
}

/**
 * `greeting` or `off_topic` for a message no analysis rule matched, else null. A greeting that
 * also asks something ("hi, where does the money go?") is that question, so this is only asked
 * when no intent rule scored.
 */
export function conversationalIntent(t: string): 'greeting' | 'off_topic' | null {
  const text = t.trim();
  if (GREETING.some((p) => p.test(text)) && wordCount(text) <= 12) return 'greeting';
  if (text === '' || !isOnTopic(text)) return text.length <= 3 ? 'greeting' : 'off_topic';
  return null;
}

/** The message asks for everything: the full report, the plan, an overview, all savings. */
const FULL_REPORT = [
  /\b(full|complete|whole|entire|detailed|overall) (report|analysis|picture|breakdown|overview|plan)\b/,
  /\b(the|a|your|an) (action )?plan\b/,
  /\beverything\b/,
  /\ball (the )?(savings|recommendations|options|findings)\b/,
  /\b(report|overview|summary) of\b/,
  /^(report|overview|summary)\b/,
  /\b(give|show) me (a|the) (report|overview|summary)\b/,
];

export function asksForFullReport(t: string): boolean {
  return FULL_REPORT.some((p) => p.test(t));
}

/** The one breakdown a cost question names ("spend by model"), else null: it then gets every breakdown. */
export type BreakdownDimension = 'model' | 'project' | 'feature' | 'day';

export function breakdownAsked(t: string): BreakdownDimension | null {
  const named = new Set<BreakdownDimension>();
  // "by project and model", "per feature": every dimension the by-clause lists.
  for (const clause of t.matchAll(/\b(?:by|per|for each|across)\s+([^.?!;]+)/g)) {
    for (const [dimension, word] of DIMENSION_WORDS) if (word.test(clause[1]!)) named.add(dimension);
  }
  if (/\bwhich models?\b|\bmodels? (cost|spend)/.test(t)) named.add('model');
  if (/\bwhich projects?\b|\bprojects? (cost|spend)/.test(t)) named.add('project');
  if (/\bwhich features?\b|\bfeatures? (cost|spend)/.test(t)) named.add('feature');
  if (/\bdaily\b|\bover time\b|\btrend(s|ing)?\b/.test(t)) named.add('day');
  return named.size === 1 ? [...named][0]! : null;
}

const DIMENSION_WORDS: ReadonlyArray<readonly [BreakdownDimension, RegExp]> = [
  ['model', /\bmodels?\b/],
  ['project', /\bprojects?\b/],
  ['feature', /\bfeatures?\b/],
  ['day', /\b(days?|dates?)\b/],
];

function wordCount(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length;
}
