import { describe, expect, it } from 'vitest';
import { bedrockFormat, bedrockModel, mapBedrockLog } from './bedrock-format.js';
import type { MappedItem } from './usage-format.js';

const records = (items: readonly MappedItem[]) => items.map((item) => ('record' in item ? item.record : item.error));
const log = (modelId: string, extra: Record<string, unknown> = {}) => ({
  schemaType: 'ModelInvocationLog',
  schemaVersion: '1.0',
  timestamp: '2026-11-20T10:00:00Z',
  accountId: '123456789012',
  identity: { arn: 'arn:aws:sts::123456789012:assumed-role/BedrockApp/worker-3' },
  region: 'us-east-1',
  requestId: 'a1b2c3d4-5678-90ab-cdef-111122223333',
  operation: 'Converse',
  modelId,
  input: { inputContentType: 'application/json', inputBodyJson: { messages: [{ role: 'user', content: [{ text: 'secret prompt' }] }] }, inputTokenCount: 12, cacheReadInputTokenCount: 41000, cacheWriteInputTokenCount: 3100 },
  output: { outputContentType: 'application/json', outputBodyJson: { output: { message: { content: [{ text: 'answer' }] } }, metrics: { latencyMs: 2400 } }, outputTokenCount: 640 },
  ...extra,
});

describe('bedrockFormat', () => {
  it('keeps input apart from the cache (inputTokenCount excludes it); never stores the prompt', () => {
    const [record] = records(mapBedrockLog(log('anthropic.claude-sonnet-4-5-20250929-v1:0'), 1, {}));
    expect(record).toEqual(expect.objectContaining({ id: 'a1b2c3d4-5678-90ab-cdef-111122223333', ts: '2026-11-20T10:00:00.000Z', provider: 'aws', model: 'anthropic.claude-sonnet-4-5-20250929-v1:0', inputTokens: 12, cacheReadTokens: 41000, cacheWriteTokens: 3100, cacheWrite1hTokens: 0, outputTokens: 640, latencyMs: 2400, project: '123456789012', feature: 'Converse', user: 'worker-3' }));
    expect(JSON.stringify(record)).not.toMatch(/secret prompt/);
  });

  it('maps cross-region profiles and ARNs of foundation models and inference profiles to the model', () => {
    const model = 'anthropic.claude-haiku-4-5-20251001-v1:0';
    for (const id of [`us.${model}`, `global.${model}`, `arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.${model}`, `arn:aws:bedrock:us-west-2::foundation-model/${model}`, `arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.${model}`]) {
      expect(bedrockModel(id, undefined, {})).toEqual({ model });
    }
  });

  it('maps an application inference profile through the upload mapping or the body model, else explains what to pass', () => {
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/k3n9x2ab7q1z';
    expect(bedrockModel(arn, undefined, { [arn]: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0' })).toEqual({ model: 'anthropic.claude-sonnet-4-5-20250929-v1:0' });
    expect(bedrockModel(arn, undefined, { k3n9x2ab7q1z: 'amazon.nova-pro-v1:0' })).toEqual({ model: 'amazon.nova-pro-v1:0' });
    expect(bedrockModel(arn, 'claude-sonnet-4-5-20250929', {})).toEqual({ model: 'claude-sonnet-4-5-20250929' });
    expect(records(mapBedrockLog(log(arn), 4, {}))).toEqual([expect.stringMatching(/application-inference-profile ARN, which names no model; upload with a mapping/)]);
  });

  it("splits cache writes by TTL when an Anthropic body gives the split; a failed call without counts adds nothing", () => {
    const body = { id: 'msg_1', model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 12, cache_creation_input_tokens: 3100, cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 3000 }, output_tokens: 640 } };
    const invoke = log('anthropic.claude-sonnet-4-5-20250929-v1:0', { operation: 'InvokeModel', output: { outputBodyJson: body, outputTokenCount: 640 } });
    expect(records(mapBedrockLog(invoke, 1, {}))).toEqual([expect.objectContaining({ cacheWriteTokens: 100, cacheWrite1hTokens: 3000 })]);
    expect(mapBedrockLog({ schemaType: 'ModelInvocationLog', timestamp: '2026-11-20T10:00:00Z', modelId: 'x', errorCode: 'ThrottlingException', input: {}, output: {} }, 2, {})).toEqual([]);
  });

  it('is detected by its schemaType', () => {
    expect(bedrockFormat.detect({ framing: 'json', lines: [], head: '', values: [log('x')] })).toBe(0.99);
    expect(bedrockFormat.detect({ framing: 'json', lines: [], head: '', values: [{ modelId: 'x' }] })).toBe(0);
  });
});
