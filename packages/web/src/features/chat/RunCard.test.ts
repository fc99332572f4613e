import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Report, RunEvent } from '@tally/protocol';
import { applyRunEvent, type RunView } from './run-view.js';
import { RunCard } from './RunCard.js';

const RUN = '11111111-1111-4111-8111-111111111111';
const THREAD = '22222222-2222-4222-8222-222222222222';
const MSG = '33333333-3333-4333-8333-333333333333';

const row = (key: string, costUsd: number, share: number) => ({
  key, requests: 10, inputTokens: 1000, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd, share,
});
const report: Report = {
  intent: 'cost_analysis',
  currency: 'USD',
  period: { from: '2026-01-01', to: '2026-01-15', days: 14 },
  totals: { requests: 200, costUsd: 12.5, monthlyCostUsd: 26.79, inputTokens: 5e5, outputTokens: 6e4, cacheReadTokens: 0, cacheWriteTokens: 0, errorRate: 0.05 },
  breakdowns: { byModel: [row('gpt-4o', 10, 0.8), row('gpt-4o-mini', 2.5, 0.2)], byProject: [], byFeature: [], byDay: [] },
  recommendations: [
    {
      id: 'r1', strategy: 'cheaper_model', title: 'Move classify to gpt-4o-mini', scope: 'project=support feature=classify',
      rationale: 'Short outputs', evidence: [], currentMonthlyCostUsd: 8, projectedMonthlySavingUsd: 7.2, confidence: 'high', qualityRisk: 'low',
    },
  ],
  plan: [],
  totalProjectedMonthlySavingUsd: 7.2,
  unpricedModels: [],
  charts: [
    { id: 'cost_by_model_over_time', title: 'Cost by model per day', kind: 'stacked_bar', unit: 'USD', series: [{ name: 'gpt-4o', points: [{ x: '2026-01-01', y: 10 }] }] },
    { id: 'savings_by_recommendation', title: 'Projected monthly saving by recommendation', kind: 'bar', unit: 'USD/month', series: [{ name: 'Saving', points: [{ x: 'Move classify to gpt-4o-mini', y: 7.2 }] }] },
  ],
  mode: 'offline',
};

let seq = 0;
const ev = (type: RunEvent['type'], data: unknown): RunEvent =>
  ({ v: 1, type, runId: RUN, threadId: THREAD, seq: ++seq, ts: '2026-01-01T00:00:00Z', data }) as RunEvent;

const render = (view: RunView) => renderToStaticMarkup(createElement(RunCard, { view, onStop: async () => undefined }));

describe('RunCard', () => {
  it('renders a live run with its timeline, tool call, streamed answer and a Stop button', () => {
    seq = 0;
    const view = [
      ev('run_queued', { messageId: MSG, text: 'q' }),
      ev('agent_started', { agent: 'supervisor' }),
      ev('agent_started', { agent: 'data' }),
      ev('tool_executing', { agent: 'data', toolCallId: 't1', tool: 'spend_by_model', args: { days: 30 } }),
      ev('message_delta', { agent: 'reporting', text: '**Most** <script>x</script>' }),
    ].reduce<RunView | undefined>(applyRunEvent, undefined)!;
    const html = render(view);
    expect(html).toContain('Stop');
    expect(html).toContain('spend_by_model');
    expect(html).toContain('<strong>Most</strong>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('role="status"');
  });

  it('names a failure by its code and says a cancelled run stopped', () => {
    seq = 0;
    const failed = [ev('run_queued', { messageId: MSG, text: 'q' }), ev('run_failed', { code: 'INTERNAL', message: 'The LLM went away' })]
      .reduce<RunView | undefined>(applyRunEvent, undefined)!;
    const html = render(failed);
    expect(html).toContain('The run failed');
    expect(html).toContain('The LLM went away');
    expect(html).toContain('INTERNAL');
    expect(html).not.toContain('>Stop<');
    seq = 0;
    const cancelled = [ev('run_queued', { messageId: MSG, text: 'q' }), ev('run_cancelled', { reason: 'stopped by user' })]
      .reduce<RunView | undefined>(applyRunEvent, undefined)!;
    expect(render(cancelled)).toContain('Stopped: stopped by user');
  });

  it('renders a completed run with its figures, recommendations and chart', () => {
    seq = 0;
    const view = [
      ev('run_queued', { messageId: MSG, text: 'q' }),
      ev('run_completed', { messageId: MSG, answer: '# Spend\nMost goes to gpt-4o.', report }),
    ].reduce<RunView | undefined>(applyRunEvent, undefined)!;
    const html = render(view);
    expect(html).not.toContain('Stop');
    expect(html).toContain('Move classify to gpt-4o-mini');
    expect(html).toContain('$7.20');
    expect(html).toContain('data-chart-id="cost_by_model_over_time"');
    expect(html).toContain('data-chart-id="savings_by_recommendation"');
    expect(html).toContain('$7.20/mo');
    expect(html).toContain('Offline mode');
  });

  const completed = (r: Report, answer = 'An answer.') => {
    seq = 0;
    return render([ev('run_queued', { messageId: MSG, text: 'q' }), ev('run_completed', { messageId: MSG, answer, report: r })].reduce<RunView | undefined>(applyRunEvent, undefined)!);
  };
  const caching = {
    id: 'r2', strategy: 'prompt_caching' as const, title: 'Cache the support prefix', scope: 'project=support', rationale: 'Repeated prefix', evidence: [],
    currentMonthlyCostUsd: 8, projectedMonthlySavingUsd: 3.5, confidence: 'medium' as const, qualityRisk: 'none' as const,
  };
  const full: Report = {
    ...report,
    recommendations: [...report.recommendations, caching],
    plan: [
      { order: 1, recommendationId: 'r2', action: 'Put the stable prefix first.', projectedMonthlySavingUsd: 3.5, effort: 'low', confidence: 'medium', qualityRisk: 'none', group: 'no_quality_risk' },
      { order: 2, recommendationId: 'r1', action: 'Replay a sample on both models.', projectedMonthlySavingUsd: 7.2, effort: 'medium', confidence: 'high', qualityRisk: 'low', group: 'model_switch' },
    ],
    savings: {
      withoutModelChange: { monthlySavingUsd: 3.5, confidence: 'medium', recommendations: 1 },
      modelSwitches: { monthlySavingUsd: 6.8, confidence: 'high', recommendations: 1 },
      combinedMonthlySavingUsd: 10.3,
    },
    findings: [{ ...caching, id: 'f1', strategy: 'oversized_limits', title: 'Lower the output limit of dev/code', projectedMonthlySavingUsd: 0 }],
    depth: 'full',
    focus: null,
  };

  it('splits the savings headline by quality risk, each figure with its confidence, and so does every plan line', () => {
    const html = completed(full);
    expect(html).toContain('Saving, same models');
    expect(html).toContain('$3.50/mo');
    expect(html).toContain('confidence medium; answers unchanged');
    expect(html).toContain('Model switches');
    expect(html).toContain('+$6.80/mo');
    expect(html).toContain('confidence high; check quality first');
    expect(html).not.toContain('Potential saving');
    expect(html).toContain('Cache the support prefix; saves $3.50/mo; confidence medium; quality risk none; low effort');
    expect(html).toContain('Move classify to gpt-4o-mini; saves $7.20/mo; confidence high; quality risk low; medium effort; check quality first');
    // A finding worth $0 is listed apart, never as a saving.
    expect(html).toContain('Also found (no money to save)');
    expect(html).toContain('Lower the output limit of dev/code');
  });

  it('calls the monthly figure rough when the data covers under a week', () => {
    expect(completed({ ...full, projection: { hours: 3, rough: true } })).toContain('rough: under a week of data');
    expect(completed({ ...full, projection: { hours: 300, rough: false } })).not.toContain('rough');
  });

  it('a focused report shows the part asked about: its saving and recommendations, no plan', () => {
    const html = completed({ ...full, intent: 'caching', depth: 'focused', focus: 'prompt_caching' });
    expect(html).toContain('Caching saving');
    expect(html).toContain('Cache the support prefix');
    expect(html).not.toContain('Move classify to gpt-4o-mini');
    expect(html).not.toContain('<h4>Plan</h4>');
    expect(html).not.toContain('Also found');
    expect(html).not.toContain('data-chart-id="savings_by_recommendation"');
  });

  it('shows a mark where the server flagged a figure in the answer, and the reason below it', () => {
    const html = completed(full, "Cut $512.40[^1] now.\n\n[^1]: 512.40 is not in Tally's analysis.");
    expect(html).toContain('$512.40<sup class="answer-flag"');
    expect(html).toContain('>1</sup> now.');
    expect(html.replace(/\n/g, '')).toContain('<ul class="answer-notes" aria-label="Checked figures"><li><sup class="answer-flag"');
    expect(html).toContain('512.40 is not in Tally&#x27;s analysis.');
  });
});
