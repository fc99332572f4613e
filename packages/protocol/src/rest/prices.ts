import { z } from 'zod';

/**
 * Prices as every user sees them (GET /v1/prices), and the admin's tools to keep them right over
 * time: negotiated discounts, a newer genai-prices data file, and re-pricing of stored records
 * (preview, then apply) under /v1/admin/prices.
 */

/** Where the catalog prices come from: the package bundled with Tally, or a data file an admin loaded. */
export const CatalogSourceSchema = z.object({
  kind: z.enum(['bundled', 'loaded']),
  /** `@pydantic/genai-prices 0.1.8`, or the label given when the file was loaded (else `sha256:…`). */
  version: z.string(),
  sha256: z.string().nullable(),
  loadedAt: z.string().nullable(),
  loadedBy: z.string().nullable(),
  providers: z.number().int().nullable(),
  models: z.number().int().nullable(),
});
export type CatalogSource = z.infer<typeof CatalogSourceSchema>;

/** One model's price as it is billed now, USD per million tokens, and where it comes from. */
export const PriceListEntrySchema = z.object({
  /** The model id as it appears in usage records (or as asked). */
  model: z.string(),
  /** The catalog's id of the model and its provider; null when no price is known. */
  catalogModel: z.string().nullable(),
  provider: z.string().nullable(),
  /** `override`: the admin's own price; `catalog`: the catalog's, less any discount; `unknown`: none. */
  source: z.enum(['catalog', 'override', 'unknown']),
  /** The provider's negotiated discount applied to the catalog price, percent (0 when none). */
  discountPercent: z.number(),
  inputPerMTok: z.number().nullable(),
  outputPerMTok: z.number().nullable(),
  cacheReadPerMTok: z.number().nullable(),
  cacheWritePerMTok: z.number().nullable(),
  cacheWrite1hPerMTok: z.number().nullable(),
});
export type PriceListEntry = z.infer<typeof PriceListEntrySchema>;

/** GET /v1/prices: the models of the caller's own usage and every override, priced now. */
export const PriceListSchema = z.object({
  catalog: CatalogSourceSchema,
  discountsPercent: z.record(z.string(), z.number()),
  models: z.array(PriceListEntrySchema),
});
export type PriceList = z.infer<typeof PriceListSchema>;

export const PriceListQuerySchema = z.object({
  /** Also price this model id (any model, used or not). */
  model: z.string().trim().min(1).max(200).optional(),
});

/** PUT /v1/admin/prices/discounts: percent off a provider's catalog prices; 0 removes it. */
export const ProviderDiscountRequestSchema = z.object({
  provider: z.string().trim().min(1).max(100),
  percent: z.number().min(0).lt(100),
});
export type ProviderDiscountRequest = z.infer<typeof ProviderDiscountRequestSchema>;

/** PUT /v1/admin/prices/catalog?version=LABEL, body: the genai-prices data file (its data.json). */
export const LoadCatalogQuerySchema = z.object({
  version: z.string().trim().min(1).max(200).optional(),
});

// ---- re-pricing of stored records

export const ModelRepriceTotalsSchema = z.object({
  model: z.string(),
  records: z.number().int(),
  changedRecords: z.number().int(),
  oldCostUsd: z.number(),
  newCostUsd: z.number(),
  oldUnpriced: z.number().int(),
  newUnpriced: z.number().int(),
});
export type ModelRepriceTotals = z.infer<typeof ModelRepriceTotalsSchema>;

/**
 * A preview or an application of re-pricing every stored record with the prices in force
 * (server-wide, as the prices are). Poll GET /v1/admin/prices/reprice/:id for progress.
 */
export const RepriceJobSchema = z.object({
  id: z.string().uuid(),
  kind: z.enum(['preview', 'apply']),
  status: z.enum(['running', 'done', 'failed']),
  previewId: z.string().uuid().nullable(),
  pricesFingerprint: z.string(),
  progress: z.object({ percent: z.number(), rowsDone: z.number(), rowsTotal: z.number(), rowsChanged: z.number() }),
  models: z.array(ModelRepriceTotalsSchema).nullable(),
  totals: z.object({ oldCostUsd: z.number(), newCostUsd: z.number() }).nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type RepriceJob = z.infer<typeof RepriceJobSchema>;

/** POST /v1/admin/prices/reprice/apply: applies a finished preview made with the prices in force. */
export const ApplyRepriceRequestSchema = z.object({ previewId: z.string().uuid() });
export type ApplyRepriceRequest = z.infer<typeof ApplyRepriceRequestSchema>;
