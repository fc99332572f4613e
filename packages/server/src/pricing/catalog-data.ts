import crypto from 'node:crypto';
import { calcPrice, type MatchLogic, type Provider } from '@pydantic/genai-prices';
import { z } from 'zod';
import { AppError } from '../app-error.js';

/**
 * A genai-prices data file (the package's `data.json`: an array of providers, each with its
 * models and their price entries), as an admin loads it to price with newer data than the
 * bundled package. Checked twice: by shape here (zod), then by the library itself, which
 * normalises every provider it is given and throws on what it would not price.
 */

/** The version of `@pydantic/genai-prices` bundled with Tally (catalog-data.test.ts checks it). */
export const BUNDLED_CATALOG_VERSION = '@pydantic/genai-prices 0.1.8';

const MatchSchema: z.ZodType<MatchLogic> = z.lazy(() =>
  z.union([
    z.object({ equals: z.string() }).strict(),
    z.object({ starts_with: z.string() }).strict(),
    z.object({ ends_with: z.string() }).strict(),
    z.object({ contains: z.string() }).strict(),
    z.object({ regex: z.string().refine(isRegex, 'is not a valid regular expression') }).strict(),
    z.object({ or: z.array(MatchSchema) }).strict(),
    z.object({ and: z.array(MatchSchema) }).strict(),
  ]),
);

const price = z.number().finite().min(0);
const PriceValueSchema = z.union([
  price,
  z.object({ base: price, tiers: z.array(z.object({ price, start: z.number().int().min(0) }).strict()) }).strict(),
]);
const ModelPriceSchema = z.record(z.string(), PriceValueSchema);
const ConstraintSchema = z.union([
  z.object({ type: z.literal('start_date').optional(), start_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD') }).strict(),
  z.object({ type: z.literal('time_of_date').optional(), start_time: z.string(), end_time: z.string() }).strict(),
]);
const ModelSchema = z
  .object({
    id: z.string().min(1).max(300),
    match: MatchSchema,
    prices: z.union([ModelPriceSchema, z.array(z.object({ constraint: ConstraintSchema.optional(), prices: ModelPriceSchema }).strict()).min(1)]),
  })
  .passthrough();
const ProviderSchema = z
  .object({
    id: z.string().min(1).max(100),
    name: z.string().min(1),
    api_pattern: z.string().refine(isRegex, 'is not a valid regular expression'),
    model_match: MatchSchema.optional(),
    provider_match: MatchSchema.optional(),
    fallback_model_providers: z.array(z.string()).optional(),
    models: z.array(ModelSchema),
  })
  .passthrough();
/** The whole file: at least one provider, each id once. */
export const CatalogDataSchema = z
  .array(ProviderSchema)
  .min(1)
  .refine((providers) => new Set(providers.map((p) => p.id)).size === providers.length, 'provider ids must be unique');

/** A loaded data file, checked, with what identifies it. */
export interface CatalogData {
  providers: Provider[];
  /** The admin's label for it (e.g. the genai-prices commit or date), else `sha256:<12 hex>`. */
  version: string;
  sha256: string;
  /** The data as compact JSON text, key order as loaded (see migration 0011). */
  text: string;
  modelCount: number;
}

/**
 * Parses and checks a data file's text; CATALOG_DATA_INVALID (with the first problems found)
 * when it is not one the library can price with.
 */
export function parseCatalogData(text: string, version?: string): CatalogData {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalid(`it is not JSON (${(error as Error).message})`);
  }
  const parsed = CatalogDataSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'the file'}: ${i.message}`);
    throw invalid(issues.join('; '));
  }
  const providers = parsed.data as unknown as Provider[];
  for (const provider of providers) {
    try {
      // The library normalises a provider it is handed (price constraints included) and throws on
      // one it cannot use: the same check the node's pricing would meet, made before anything is stored.
      calcPrice({}, '', { provider });
    } catch (error) {
      throw invalid(`provider ${provider.id}: ${(error as Error).message}`);
    }
  }
  // Kept and hashed as compact JSON (key order as in the file), so the same data loaded through
  // the API or the CLI, however it was formatted, has one sha256.
  const compact = JSON.stringify(json);
  const sha256 = crypto.createHash('sha256').update(compact).digest('hex');
  const label = version?.trim();
  return {
    providers,
    version: label ? label : `sha256:${sha256.slice(0, 12)}`,
    sha256,
    text: compact,
    modelCount: providers.reduce((n, p) => n + p.models.length, 0),
  };
}

function invalid(reason: string): AppError {
  return new AppError('CATALOG_DATA_INVALID', `The genai-prices data file is not valid: ${reason}`);
}

function isRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
