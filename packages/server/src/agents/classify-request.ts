import type { Intent } from '@tally/protocol';
import { asksForFullReport, breakdownAsked, conversationalIntent, isOnTopic, type BreakdownDimension } from './request-shape.js';
import { asksForReconciliation } from './reconciliation-request.js';
import { parseTimeRange, type NamedRange } from './time-range.js';

/** What triage reads from a message: its intent and the entities it names. */
export interface RequestClassification {
  intent: Intent;
  /** Model ids named in the message, lower case. */
  models: string[];
  project: string | null;
  timeRange: NamedRange | null;
  /** The message asks for the full report and plan (else it gets the part it asks about). */
  wantsFullReport: boolean;
  /** The one breakdown a cost question names, if any. */
  breakdown: BreakdownDimension | null;
  /** The message asks whether the provider's bill matches the logs: the reconciliation answers it. */
  reconciliation: boolean;
  /**
   * The rules read this message surely: exactly one intent's words, a word about LLM usage or
   * cost (so "recommend a recipe" is not a question about spend), and nothing an LLM could read
   * differently (a model, a project, a time, a negation or comparison, a long message). Triage
   * then needs no LLM call; anything less sure is asked of the LLM.
   */
  certain: boolean;
}

/**
 * Keyword rules per intent, most specific first: a message about caching that also says "how much"
 * is about caching. Each matching pattern scores one point; the highest score wins, ties go to the
 * earlier intent. `general` (what to do about spend overall) outranks `cost_analysis` (where it went).
 */
const INTENT_RULES: ReadonlyArray<readonly [Intent, readonly RegExp[]]> = [
  ['caching', [/\bcach(e|es|ed|ing)\b/, /\bprefix(es)?\b/, /\bsystem prompts?\b/, /\brepeated prompts?\b/]],
  ['batching', [/\bbatch(es|ed|ing)?\b/, /\bnon-?interactive\b/, /\boffline jobs?\b/, /\bovernight\b/, /\bnightly\b/, /\basync(hronous)?\b/, /\bbackground jobs?\b/]],
  [
    'model_choice',
    [/\bcheaper models?\b/, /\bsmaller models?\b/, /\bwhich models? (should|could|can|would|to)\b/, /\bmodel choice\b/, /\bswitch(ing)? (to|from|models?)\b/, /\bdowngrad(e|ing)\b/, /\balternative models?\b/, /\binstead of\b/, /\breplace\b/],
  ],
  ['errors', [/\berrors?\b/, /\bfail(s|ed|ing|ures?)?\b/, /\bretr(y|ies|ied|ying)\b/, /\btime ?outs?\b/, /\btimed out\b/, /\brate limit(s|ed)?\b/, /\b429\b/]],
  ['latency', [/\blatenc(y|ies)\b/, /\bslow(er|est|ly)?\b/, /\bfast(er|est)?\b/, /\bresponse times?\b/, /\bspeed\b/, /\bp(50|90|95|99)\b/]],
  ['general', [/\bsav(e|es|ing|ings)\b/, /\breduc(e|ing)\b/, /\bcut\b/, /\boptimi[sz](e|ing|ation)\b/, /\blower (our|my|the)\b/, /\bspend less\b/, /\brecommend(ations?)?\b/]],
  ['cost_analysis', [/\bcosts?\b/, /\bspen(d|t|ding)\b/, /\bmoney\b/, /\bbill(s|ing)?\b/, /\bbudget\b/, /\bexpensive\b/, /\bbreakdown\b/, /\bhow much\b/, /\bgoing\b/, /\$/]],
];

/** Words that may name a model, project or other slice of the data the rules could miss. */
const ENTITY_WORDS = /\b(models?|projects?|features?|teams?|apps?|applications?|customers?|tenants?|environments?|prod|production|staging|dev|sonnet|haiku|opus|flash|turbo|mini|nano|pro|o\d)\b/;
/** Words that may name a time the time-range rules could miss or read differently. */
const TIME_WORDS =
  /\b(days?|daily|weeks?|weekly|months?|monthly|years?|yearly|quarters?|q[1-4]|today|yesterday|tonight|since|until|till|between|lately|recent|recently|last|past|previous|ago|ytd|mtd|january|february|march|april|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b|\d{4}-\d{2}|\d{1,2}\/\d{1,2}/;
/** A negation, contrast or comparison changes which intent a keyword stands for. */
const NUANCE_WORDS = /\b(not|no|don'?t|doesn'?t|isn'?t|aren'?t|never|except|without|but|instead|rather|versus|vs|compare[ds]?|comparing|if)\b|n't\b/;
/** Longer than this, a message likely asks several things: the LLM reads it. */
const CERTAIN_MAX_WORDS = 20;

const MODEL_PATTERN = /\b(gpt-[a-z0-9][\w.-]*|o[134](?:-(?:mini|pro|preview))?|chatgpt-[\w.-]+|claude-[\w.-]+|gemini-[\w.-]+|mistral-[\w.-]+|mixtral-[\w.-]+|llama-?[\w.-]*|command-[\w.-]+|deepseek-[\w.-]+|qwen[\w.-]*)/g;
const PROJECT_PATTERNS = [
  /\bproject\s*[:=]\s*["'`]?([\w./-]+)/,
  /\b(?:for|in|on|of)\s+(?:the\s+)?project\s+["'`]?([\w./-]+)/,
  /\b(?:the|our|my|for|in|on|of|about)\s+["'`]?([\w./-]+)["'`]?\s+project\b/,
  /\bproject\s+["'`]?([\w./-]+)/,
];
const NOT_PROJECT_NAMES = new Set([
  'this', 'that', 'the', 'a', 'an', 'our', 'my', 'your', 'whole', 'entire', 'each', 'every', 'which', 'what', 'any', 'one', 'same',
  'is', 'was', 'are', 'has', 'have', 'had', 'cost', 'costs', 'spend', 'spent', 'and', 'or', 'to', 'with', 'about', 'worth', 'by', 'in', 'on', 'for',
]);

/** The rule-based triage: a pure function of the message, the clock and the models in the data. */
export function classifyRequest(text: string, now: Date, knownModels: readonly string[] = []): RequestClassification {
  const t = text.toLowerCase();
  const reconciliation = asksForReconciliation(t);
  // Comparing the bill is a question about cost, whatever other words it has ("do our logs match").
  const { intent, intentsMatched } = reconciliation ? { intent: 'cost_analysis' as const, intentsMatched: 1 } : intentOf(t);
  const models = modelsIn(t, knownModels);
  const project = projectIn(t);
  const timeRange = parseTimeRange(text, now);
  return {
    intent,
    models,
    project,
    timeRange,
    wantsFullReport: asksForFullReport(t),
    breakdown: breakdownAsked(t),
    reconciliation,
    certain:
      intentsMatched === 1 &&
      isOnTopic(t) &&
      models.length === 0 &&
      project === null &&
      timeRange === null &&
      !ENTITY_WORDS.test(t) &&
      !TIME_WORDS.test(t) &&
      // "billed vs computed", "compare the invoice": the comparison is the question itself.
      (reconciliation || !NUANCE_WORDS.test(t)) &&
      t.split(/\s+/).filter((w) => w !== '').length <= CERTAIN_MAX_WORDS,
  };
}

/**
 * The best-scoring intent, and how many intents' rules matched at all; a message no rule matches
 * is a greeting, off topic, or a general question about usage.
 */
function intentOf(t: string): { intent: Intent; intentsMatched: number } {
  let best: Intent = 'general';
  let bestScore = 0;
  let intentsMatched = 0;
  for (const [intent, patterns] of INTENT_RULES) {
    const score = patterns.filter((p) => p.test(t)).length;
    if (score > 0) intentsMatched++;
    if (score > bestScore) {
      best = intent;
      bestScore = score;
    }
  }
  return { intent: bestScore > 0 ? best : (conversationalIntent(t) ?? best), intentsMatched };
}

/** Model ids by pattern, plus any model of the user's own data named verbatim. */
export function modelsIn(t: string, knownModels: readonly string[]): string[] {
  const found = new Set<string>();
  for (const match of t.matchAll(MODEL_PATTERN)) found.add(match[1]!.replace(/[.-]+$/, ''));
  for (const model of knownModels) {
    const m = model.toLowerCase();
    // Whole ids only: `gpt-4o-mini` in the text does not name `gpt-4o`.
    for (let i = t.indexOf(m); i >= 0; i = t.indexOf(m, i + 1)) {
      if (!/[\w.-]/.test(t.charAt(i - 1)) && !/[\w-]/.test(t.charAt(i + m.length))) found.add(m);
    }
  }
  return [...found].sort();
}

function projectIn(t: string): string | null {
  for (const pattern of PROJECT_PATTERNS) {
    const name = pattern.exec(t)?.[1]?.replace(/[.,;:!?'"`]+$/, '');
    if (name && !NOT_PROJECT_NAMES.has(name)) return name;
  }
  return null;
}
