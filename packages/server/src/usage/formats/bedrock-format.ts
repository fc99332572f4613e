import type { UsageRecordInput } from '@tally/protocol';
import { amountOf, asObject, countOf, idOf, isoTimeOf, stringOf, type JsonObject } from './field-readers.js';
import { splitCacheWrites } from './cache-write-split.js';
import { bestObjectScore, checkedItem, errorItem, NOTHING, type CsvMapping, type MappedItem, type UsageFormat } from './usage-format.js';

/** Cross-region inference profiles prefix the model with a geography: `us.anthropic.claude-…`. */
const GEO_PREFIX = /^(us|eu|apac|global|us-gov|jp|au|ca|sa|mx|ap)\./;
/** `arn:aws:bedrock:<region>:<account>:<kind>/<id>`. */
const BEDROCK_ARN = /^arn:aws[\w-]*:bedrock:[\w-]*:\d*:([\w-]+)\/(.+)$/;

/**
 * AWS Bedrock model-invocation logs (`schemaType: "ModelInvocationLog"`, CloudWatch Logs or the
 * S3 delivery's `.json.gz` files; shared/FORMATS.md §9). `input.inputTokenCount` **excludes** the
 * cache, whose tokens are `cacheReadInputTokenCount` / `cacheWriteInputTokenCount`. `modelId` may
 * be a foundation model id, a cross-region inference profile (`us.anthropic.claude-…`), or an ARN
 * of either; all map to the foundation model. An application inference profile ARN names no
 * model: the model is read from the response body when it says it (Anthropic's `model`), else from
 * the `mapping` given with the upload (`{"<profile ARN or id>": "<model id>"}`). Prompts and
 * answers in the log are never stored. No cost is logged: Tally prices the call.
 */
export const bedrockFormat: UsageFormat = {
  name: 'bedrock',
  title: 'AWS Bedrock model-invocation logs (ModelInvocationLog JSON lines, CloudWatch or S3)',
  framings: ['json'],
  maxUnitChars: 32 * 1024 * 1024,
  detect: (sample) => bestObjectScore(sample, (o) => (o['schemaType'] === 'ModelInvocationLog' ? 0.99 : 'modelId' in o && asObject(o['input'])?.['inputTokenCount'] !== undefined ? 0.8 : 0)),
  createMapper: ({ mapping }) => ({ map: (unit, lineNumber) => mapBedrockLog(unit, lineNumber, mapping ?? {}), flush: () => NOTHING }),
};

/** Maps one invocation log record; `profiles` maps application inference profiles to models. */
export function mapBedrockLog(unit: unknown, lineNumber: number, profiles: CsvMapping): readonly MappedItem[] {
  const o = asObject(unit);
  if (!o) return [errorItem(lineNumber, 'expected a JSON object')];
  const input = asObject(o['input']);
  const output = asObject(o['output']);
  const problems: string[] = [];
  const inputTokens = countOf(input?.['inputTokenCount'], 'input.inputTokenCount', problems);
  const cacheRead = countOf(input?.['cacheReadInputTokenCount'], 'input.cacheReadInputTokenCount', problems) ?? 0;
  const cacheWrite = countOf(input?.['cacheWriteInputTokenCount'], 'input.cacheWriteInputTokenCount', problems) ?? 0;
  const outputTokens = countOf(output?.['outputTokenCount'], 'output.outputTokenCount', problems);
  if (inputTokens === undefined && outputTokens === undefined && problems.length === 0) {
    // A failed call logs no counts: nothing was billed.
    return o['errorCode'] !== undefined ? NOTHING : [errorItem(lineNumber, 'no input.inputTokenCount or output.outputTokenCount')];
  }
  const ts = isoTimeOf(o['timestamp']);
  if (!ts) problems.push(ts === null ? `timestamp: not a time: ${JSON.stringify(o['timestamp'])}` : 'no timestamp');
  const body = asObject(output?.['outputBodyJson']);
  const model = bedrockModel(stringOf(o['modelId']), stringOf(body?.['model']), profiles);
  if ('error' in model) problems.push(model.error);
  if (problems.length > 0 || !ts || 'error' in model) return [errorItem(lineNumber, problems.join('; '))];
  const split = asObject(asObject(body?.['usage'])?.['cache_creation']);
  const writes = splitCacheWrites(
    {
      total: cacheWrite,
      write5m: countOf(split?.['ephemeral_5m_input_tokens'], 'output.outputBodyJson.usage.cache_creation.ephemeral_5m_input_tokens', problems),
      write1h: countOf(split?.['ephemeral_1h_input_tokens'], 'output.outputBodyJson.usage.cache_creation.ephemeral_1h_input_tokens', problems),
    },
    { total: 'input.cacheWriteInputTokenCount', write1h: 'output.outputBodyJson.usage.cache_creation.ephemeral_1h_input_tokens' },
    problems,
  );
  if (problems.length > 0) return [errorItem(lineNumber, problems.join('; '))];
  const identity = stringOf(asObject(o['identity'])?.['arn']);
  const record: UsageRecordInput = {
    ts,
    provider: 'aws',
    model: model.model,
    inputTokens: inputTokens ?? 0,
    cacheReadTokens: cacheRead,
    ...writes,
    outputTokens: outputTokens ?? 0,
    latencyMs: amountOf(asObject(body?.['metrics'])?.['latencyMs'], 'output.outputBodyJson.metrics.latencyMs', []),
    status: o['errorCode'] !== undefined ? 'error' : 'ok',
    project: stringOf(o['accountId']),
    feature: stringOf(o['operation']),
    user: identity?.split('/').pop(),
  };
  const requestId = stringOf(o['requestId']);
  if (requestId) record.id = idOf(requestId);
  return [checkedItem(lineNumber, record)];
}

/**
 * The foundation model behind a `modelId`: `anthropic.claude-sonnet-4-5-20250929-v1:0` from itself,
 * from `us.anthropic.claude-…`, or from an ARN (`foundation-model/…`, `inference-profile/…`); an
 * application inference profile from the user's mapping or the body's own model name.
 */
export function bedrockModel(modelId: string | undefined, bodyModel: string | undefined, profiles: CsvMapping): { model: string } | { error: string } {
  if (!modelId) return bodyModel ? { model: bodyModel } : { error: 'no modelId' };
  const mapped = profiles[modelId] ?? profiles[modelId.split('/').pop() ?? ''];
  if (mapped) return { model: foundationModel(mapped) };
  const arn = BEDROCK_ARN.exec(modelId);
  if (arn && arn[1] !== 'foundation-model' && arn[1] !== 'inference-profile') {
    if (bodyModel) return { model: bodyModel };
    return { error: `modelId ${modelId} is an ${arn[1]} ARN, which names no model; upload with a mapping from it to the model, e.g. {"${modelId}": "anthropic.claude-sonnet-4-5-20250929-v1:0"}` };
  }
  return { model: foundationModel(arn ? arn[2]! : modelId) };
}

function foundationModel(id: string): string {
  return id.replace(GEO_PREFIX, '');
}
