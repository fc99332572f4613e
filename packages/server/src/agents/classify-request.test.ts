import { describe, expect, it } from 'vitest';
import { classifyRequest } from './classify-request.js';

const now = new Date('2025-03-15T12:00:00Z');

describe('classifyRequest', () => {
  it.each([
    ['Where is my AI money going?', 'cost_analysis'],
    ['Give me a cost breakdown by project', 'cost_analysis'],
    ['How much would prompt caching save us?', 'caching'],
    ['Are we reusing system prompts that could be cached?', 'caching'],
    ['Should we switch to a cheaper model for ticket tagging?', 'model_choice'],
    ['Which model should we use instead of gpt-4o?', 'model_choice'],
    ['Can our nightly jobs use the batch API?', 'batching'],
    ['How much do errors and retries cost us?', 'errors'],
    ['Why are we seeing so many timeouts?', 'errors'],
    ['Which model is the slowest? What is our latency?', 'latency'],
    ['How can we reduce our AI spend?', 'general'],
    ['Hello!', 'greeting'],
    ['hi', 'greeting'],
    ['Thanks, that helps', 'greeting'],
    ['What can you do?', 'greeting'],
    ['Hi, where is my AI money going?', 'cost_analysis'],
    ['Tell me about my usage', 'general'],
    ["What's the weather in Paris tomorrow?", 'off_topic'],
    ['Write me a poem about cats', 'off_topic'],
  ])('%s -> %s', (text, intent) => {
    expect(classifyRequest(text, now).intent).toBe(intent);
  });

  it('finds models by pattern and by the names in the data', () => {
    expect(classifyRequest('Compare GPT-4o and claude-sonnet-4-20250514.', now).models).toEqual(['claude-sonnet-4-20250514', 'gpt-4o']);
    expect(classifyRequest('what does my-finetune cost', now, ['my-finetune', 'other']).models).toEqual(['my-finetune']);
    expect(classifyRequest('where is the money going', now).models).toEqual([]);
    expect(classifyRequest('move gpt-4o-mini traffic', now, ['gpt-4o', 'gpt-4o-mini']).models).toEqual(['gpt-4o-mini']);
    expect(classifyRequest('is my-model. good?', now, ['my-model']).models).toEqual(['my-model']);
  });

  it('finds a project', () => {
    expect(classifyRequest('costs for project=support', now).project).toBe('support');
    expect(classifyRequest('errors in project search?', now).project).toBe('search');
    expect(classifyRequest('what about the ops project', now).project).toBe('ops');
    expect(classifyRequest('What did project etl cost?', now).project).toBe('etl');
    expect(classifyRequest('cost by project and model', now).project).toBeNull();
    expect(classifyRequest('is this project worth it', now).project).toBeNull();
    expect(classifyRequest('is the whole project worth it', now).project).toBeNull();
  });

  it('tells a question about one part from a request for the full report', () => {
    expect(classifyRequest('How much would caching save?', now).wantsFullReport).toBe(false);
    expect(classifyRequest('Give me the full report', now).wantsFullReport).toBe(true);
    expect(classifyRequest('What is the plan to cut our spend?', now).wantsFullReport).toBe(true);
    expect(classifyRequest('Show me all the savings', now).wantsFullReport).toBe(true);
  });

  it('finds the one breakdown a cost question names', () => {
    expect(classifyRequest('Spend by model?', now).breakdown).toBe('model');
    expect(classifyRequest('Which project costs the most?', now).breakdown).toBe('project');
    expect(classifyRequest('How is our cost trending over time?', now).breakdown).toBe('day');
    expect(classifyRequest('Where is my AI money going?', now).breakdown).toBeNull();
    expect(classifyRequest('cost by project and model', now).breakdown).toBeNull();
  });

  it.each([
    'Where is my AI money going?',
    'Are we reusing system prompts that could be cached?',
    'Why do so many of our API calls time out?',
    'Can our nightly jobs use the batch API?',
  ])('is certain of a message with one kind of question and nothing else to read: %s', (text) => {
    expect(classifyRequest(text, now).certain).toBe(true);
  });

  it.each([
    ['no intent rule matched', 'Tell me about my usage'],
    ['a greeting', 'Hello!'],
    ['off topic', 'Write me a poem about cats'],
    ['an intent word in an off-topic message', 'Can you recommend a pasta recipe?'],
    ['two intents matched', 'How much do errors and retries cost us?'],
    ['three intents matched', 'How much would prompt caching save us?'],
    ['a model named', 'How much would caching save on gpt-4o?'],
    ['a model word the rules cannot resolve', 'What did the cheap model cost?'],
    ['a project', 'What did project etl cost?'],
    ['a time range', 'spend in the last 7 days'],
    ['a time word the rules do not parse', 'What did we spend lately?'],
    ['a negation', 'Not caching: where is the money going?'],
    ['a long message', 'Where is the money going, and I would like to understand it in a lot of detail please, for my manager who asked me today'],
  ])('leaves a message to the LLM when %s', (_, text) => {
    expect(classifyRequest(text, now).certain).toBe(false);
  });

  it('finds a time range', () => {
    expect(classifyRequest('spend in the last 7 days', now).timeRange).toEqual({
      range: { from: '2025-03-09T00:00:00.000Z' },
      label: 'the last 7 days',
    });
  });
});
