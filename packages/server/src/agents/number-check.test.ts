import { describe, expect, it } from 'vitest';
import { checkAnswerNumbers, unverifiedNumbers, type FactFigure } from './number-check.js';

describe('unverifiedNumbers', () => {
  const facts = 'Spend **$1,234.50** over 12,000 requests; saves about $60.00/month (50.0%). From 2025-03-01.';

  it('accepts figures copied from the facts in any formatting', () => {
    expect(unverifiedNumbers('You spent $1234.5 on 12,000 requests and can save $60 (50%), since 2025-03-01.', facts)).toEqual([]);
  });

  it('flags figures that are not in the facts', () => {
    expect(unverifiedNumbers('You could save $75.25, about 6% of 12,000.', facts)).toEqual(['75.25']);
  });

  it('allows small counts and numbers from the question', () => {
    expect(unverifiedNumbers('Here are 3 steps for the last 14 days.', facts, 'last 14 days?')).toEqual([]);
  });
});

describe('checkAnswerNumbers', () => {
  const facts = 'Spend **$26.58** in the period, about **$79.73 per 30 days**. Batching saves about **$9.00/month** of $18.00/month.';
  const figures: FactFigure[] = [
    { value: 26.578, kind: 'spend', per: 'period' },
    { value: 79.734, kind: 'spend', per: 'month' },
    { value: 9, kind: 'saving', per: 'month' },
    { value: 18, kind: 'spend', per: 'month' },
    { value: 3, kind: 'saving', per: 'period' },
  ];
  const check = (text: string) => checkAnswerNumbers(text, { sources: [facts], figures });

  it('leaves an answer that copies the facts under their own labels as it is', () => {
    const text = 'You spent $26.58 in the period, about $79.73 a month. Batching would save $9.00/month of the $18.00/month it costs.';
    expect(check(text)).toEqual({ marked: text, findings: [] });
  });

  it('marks a number that is in no fact where it stands, with the reason in a footnote', () => {
    const { marked, findings } = check('Caching could save $512.40 a month, on top of the $9.00/month from batching.');
    expect(findings).toEqual([{ text: '512.40', index: 20, problem: 'not_in_facts' }]);
    expect(marked).toBe(
      'Caching could save $512.40[^1] a month, on top of the $9.00/month from batching.\n\n' +
        "[^1]: 512.40 is not in Tally's analysis; the figures in the report are the computed ones.\n",
    );
  });

  it('catches a spend called a saving, and a saving called a spend', () => {
    expect(check('You could save $26.58 by switching.').findings).toEqual([{ text: '26.58', index: 16, problem: 'spend_called_saving' }]);
    expect(check('Batching costs you $9.00/month.').findings.map((f) => f.problem)).toEqual(['saving_called_spend']);
  });

  it('catches a period figure called monthly, and a monthly one called the total', () => {
    expect(check('You spend $26.58 per month.').findings.map((f) => f.problem)).toEqual(['period_called_monthly']);
    expect(check('In total you spent $79.73.').findings.map((f) => f.problem)).toEqual(['monthly_called_total']);
  });

  it('numbers the marks in reading order, each after its own number', () => {
    const { marked } = check('You could save $26.58, or even $700.00.');
    expect(marked).toBe(
      'You could save $26.58[^1], or even $700.00[^2].\n\n' +
        "[^1]: 26.58 is a spend in Tally's analysis, not a saving.\n" +
        "[^2]: 700.00 is not in Tally's analysis; the figures in the report are the computed ones.\n",
    );
  });

  it('does not read digits inside words or model ids as figures', () => {
    expect(check('word11 word12 on gpt-4.1 and claude-3-5-haiku.').findings).toEqual([]);
  });
});
