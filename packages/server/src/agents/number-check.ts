/**
 * Numbers in an LLM's text checked against the facts it was given. The LLM is told to copy figures
 * only; this finds where it did not (a number in no fact), and where it used a fact under the wrong
 * label (a spend called a saving, a monthly projection called the period's total), and marks each
 * where it stands, as a footnote reference right after the number (`$512.40[^1]`) with the reason
 * in a footnote below (`[^1]: ...`). The web renders both visibly; as plain text they still read.
 */

/** What a figure of the facts is, so the words around it in the answer can be checked. */
export interface FactFigure {
  value: number;
  kind: 'spend' | 'saving' | 'price' | 'other';
  /** Per 30 days, or for the period the data covers. */
  per: 'month' | 'period' | null;
}

export interface NumberFinding {
  /** The number as written. */
  text: string;
  /** Index of the number in the checked text. */
  index: number;
  problem: 'not_in_facts' | 'spend_called_saving' | 'saving_called_spend' | 'period_called_monthly' | 'monthly_called_total';
}

export interface CheckedAnswer {
  /** The text with a footnote reference after each number found, and the footnotes at the end. */
  marked: string;
  findings: NumberFinding[];
}

/** A number as written: not inside a word or a model id (`word11`, `gpt-4.1`, `2025-03-01` as one date is fine). */
const NUMBER = /(?<![\w.\-/])\d[\d,]*(?:\.\d+)?/g;

/**
 * Numbers of `text` that appear in none of `sources`. Small counts (list items, "two options") are
 * allowed, as are numbers the user wrote (pass the question as a source).
 */
export function unverifiedNumbers(text: string, ...sources: string[]): string[] {
  const allowed = allowedNumbers(sources);
  return [...new Set(numbersIn(text).filter((n) => !isAllowed(n.text, allowed)).map((n) => n.text))];
}

/** Checks every number of the answer in place; see the module comment. */
export function checkAnswerNumbers(text: string, args: { sources: readonly string[]; figures: readonly FactFigure[] }): CheckedAnswer {
  const allowed = allowedNumbers(args.sources);
  const numbers = numbersIn(text);
  const findings: NumberFinding[] = [];
  numbers.forEach((n, i) => {
    if (!isAllowed(n.text, allowed)) {
      findings.push({ text: n.text, index: n.index, problem: 'not_in_facts' });
      return;
    }
    if (text.charAt(n.index - 1) !== '$') return;
    const value = Number(n.text.replace(/,/g, ''));
    const matches = args.figures.filter((f) => sameMoney(f.value, value) && (f.kind === 'spend' || f.kind === 'saving'));
    if (matches.length === 0) return;
    const previousEnd = i > 0 ? numbers[i - 1]!.index + numbers[i - 1]!.text.length : 0;
    const nextStart = i + 1 < numbers.length ? numbers[i + 1]!.index : text.length;
    const problem = labelProblem(leadIn(text, previousEnd, n.index - 1), trailOf(text, n.index + n.text.length, nextStart), matches);
    if (problem) findings.push({ text: n.text, index: n.index, problem });
  });
  return { marked: mark(text, findings), findings };
}

/** The words before a number in its clause, and after it up to the next number, decide what it is called. */
function labelProblem(lead: string, trail: string, matches: readonly FactFigure[]): NumberFinding['problem'] | null {
  const saving = /\b(sav(e|es|ed|ing|ings)|cut(s|ting)?|reduc\w*|lower(s|ing)?|shav\w*)\b/.test(lead);
  const spend = !saving && /\b(spen[dt]|spending|costs?|costing|cost you|bill(ed)?|paid|pay(ing)?)\b/.test(lead);
  const monthly = /^\s*(\/\s*mo(nth)?\b|(per|a|each|every) month\b|monthly\b|per 30 days\b)/.test(trail) || /\b(monthly|per month|a month)\b[^.]{0,20}$/.test(lead);
  const total = !monthly && /\b(in total|total|overall|in the period|over the period|so far|altogether)\b/.test(lead);
  const all = (pick: (f: FactFigure) => boolean) => matches.every(pick);
  if (saving && all((f) => f.kind !== 'saving')) return 'spend_called_saving';
  if (spend && all((f) => f.kind === 'saving')) return 'saving_called_spend';
  if (monthly && all((f) => f.per === 'period')) return 'period_called_monthly';
  if (total && all((f) => f.per === 'month')) return 'monthly_called_total';
  return null;
}

const REASONS: Record<NumberFinding['problem'], (n: string) => string> = {
  not_in_facts: (n) => `${n} is not in Tally's analysis; the figures in the report are the computed ones.`,
  spend_called_saving: (n) => `${n} is a spend in Tally's analysis, not a saving.`,
  saving_called_spend: (n) => `${n} is a saving in Tally's analysis, not a spend.`,
  period_called_monthly: (n) => `${n} is a figure for the period of your data, not per month.`,
  monthly_called_total: (n) => `${n} is a projection per 30 days, not the period's total.`,
};

/**
 * Footnote references inserted after each number, the footnotes appended. Built in one pass over
 * the text (pieces joined once): an answer can be megabytes with a number every few words.
 */
function mark(text: string, findings: readonly NumberFinding[]): string {
  if (findings.length === 0) return text;
  const pieces: string[] = [];
  let from = 0;
  findings
    .map((f, i) => ({ end: f.index + f.text.length, label: i + 1 }))
    .sort((a, b) => a.end - b.end)
    .forEach(({ end, label }) => {
      pieces.push(text.slice(from, end), `[^${label}]`);
      from = end;
    });
  pieces.push(text.slice(from));
  const notes = findings.map((f, i) => `[^${i + 1}]: ${REASONS[f.problem](f.text)}`);
  return `${pieces.join('').trimEnd()}\n\n${notes.join('\n')}\n`;
}

function leadIn(text: string, from: number, to: number): string {
  const lead = text.slice(from, Math.max(from, to));
  // Only the clause the number stands in: from the last sentence end or line break.
  const cut = Math.max(lead.lastIndexOf('. '), lead.lastIndexOf('\n'), lead.lastIndexOf('; '), lead.lastIndexOf('|'));
  return (cut >= 0 ? lead.slice(cut + 1) : lead).toLowerCase();
}

function trailOf(text: string, from: number, to: number): string {
  return text.slice(from, Math.min(to, from + 30)).toLowerCase();
}

/** Two amounts are the same figure when they agree to the cent, or one is the other rounded to the dollar. */
function sameMoney(fact: number, written: number): boolean {
  return Math.round(fact * 100) === Math.round(written * 100) || (Number.isInteger(written) && Math.round(fact) === written && Math.abs(fact) >= 10);
}

function numbersIn(text: string): Array<{ text: string; index: number }> {
  return [...text.matchAll(NUMBER)].map((m) => ({ text: m[0].replace(/,+$/, ''), index: m.index }));
}

function allowedNumbers(sources: readonly string[]): Set<string> {
  return new Set(sources.flatMap((s) => numbersIn(s).map((n) => canonical(n.text))));
}

function isAllowed(raw: string, allowed: ReadonlySet<string>): boolean {
  const value = canonical(raw);
  if (allowed.has(value)) return true;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 && n <= 10;
}

/** `1,234.50` and `1234.5` are the same figure. */
function canonical(raw: string): string {
  const n = Number(raw.replace(/,/g, ''));
  return Number.isFinite(n) ? String(n) : raw;
}
