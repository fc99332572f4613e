import { describe, expect, it } from 'vitest';
import { classifyRequest } from './classify-request.js';
import { LlmTriageSchema, mergeLlmTriage, modelsInData } from './triage.js';

const now = new Date('2025-03-15T12:00:00Z');

describe('LlmTriageSchema', () => {
  it('accepts a full classification and refuses an invented intent or a bad date', () => {
    expect(LlmTriageSchema.safeParse({ intent: 'caching', models: [], project: null, timeRange: null }).success).toBe(true);
    expect(LlmTriageSchema.safeParse({ intent: 'astrology', models: [], project: null, timeRange: null }).success).toBe(false);
    expect(LlmTriageSchema.safeParse({ intent: 'general', models: [], project: null, timeRange: { lastDays: null, from: 'March', to: null } }).success).toBe(false);
  });
});

describe('mergeLlmTriage', () => {
  const rules = classifyRequest('costs of gpt-4o for project search since 2025-03-01', now);

  it('keeps the LLM intent and completes its entities with the rules', () => {
    const merged = mergeLlmTriage({ intent: 'model_choice', models: ['Claude-Haiku-4-5'], project: null, timeRange: null }, rules, now);
    expect(merged).toEqual({
      wantsFullReport: false,
      breakdown: null,
      reconciliation: false,
      certain: false,
      intent: 'model_choice',
      models: ['claude-haiku-4-5', 'gpt-4o'],
      project: 'search',
      timeRange: { range: { from: '2025-03-01T00:00:00.000Z' }, label: 'since 2025-03-01' },
    });
  });

  it('takes a greeting or an off-topic message from the LLM', () => {
    expect(LlmTriageSchema.parse({ intent: 'off_topic', models: [], project: null, timeRange: null }).intent).toBe('off_topic');
    expect(mergeLlmTriage({ intent: 'greeting', models: [], project: null, timeRange: null }, rules, now).intent).toBe('greeting');
  });

  it('turns the LLM time range into UTC days, the last day included', () => {
    const lastDays = mergeLlmTriage({ intent: 'general', models: [], project: 'ops', timeRange: { lastDays: 7, from: null, to: null } }, rules, now);
    expect(lastDays.timeRange).toEqual({ range: { from: '2025-03-09T00:00:00.000Z' }, label: 'the last 7 days' });
    expect(lastDays.project).toBe('ops');
    const span = mergeLlmTriage({ intent: 'general', models: [], project: null, timeRange: { lastDays: null, from: '2025-02-01', to: '2025-02-28' } }, rules, now);
    expect(span.timeRange?.range).toEqual({ from: '2025-02-01T00:00:00.000Z', to: '2025-03-01T00:00:00.000Z' });
    const backwards = mergeLlmTriage({ intent: 'general', models: [], project: null, timeRange: { lastDays: null, from: '2025-02-10', to: '2025-02-01' } }, rules, now);
    expect(backwards.timeRange).toEqual(rules.timeRange);
  });
});

describe('modelsInData', () => {
  it('matches a named model to its dated or prefixed ids in the data', () => {
    const data = ['gpt-4o-2024-08-06', 'gpt-4o-mini', 'openai/gpt-4.1', 'claude-sonnet-4-20250514'];
    expect(modelsInData(['gpt-4o'], data)).toEqual(['gpt-4o-2024-08-06']);
    expect(modelsInData(['gpt-4.1', 'claude-sonnet-4'], data)).toEqual(['openai/gpt-4.1', 'claude-sonnet-4-20250514']);
    expect(modelsInData(['llama-3'], data)).toEqual([]);
  });
});
