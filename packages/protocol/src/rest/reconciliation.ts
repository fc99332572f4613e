import { z } from 'zod';
import { isoTime } from '../safe-text.js';
import { ConnectorProviderSchema } from './connectors.js';

/**
 * Computed versus billed (issue 18): Tally's cost from request-level records (files, OTLP) next
 * to the provider's own cost report (connectors), per provider, day and model where the bill has
 * one. Money is USD rounded to the cent only where a person reads it; the figures here are summed
 * in integer micro-dollars on the server, so a planted difference is found to the cent.
 */

/**
 * Which data a provider's totals come from. `auto` (no choice stored): the bill over the days the
 * connector has complete buckets for, the request-level records elsewhere.
 */
export const UsageSourceSettingSchema = z.enum(['auto', 'requests', 'billing']);
export type UsageSourceSetting = z.infer<typeof UsageSourceSettingSchema>;
/** The data a figure was taken from. */
export const CostSourceSchema = z.enum(['requests', 'billing']);
export type CostSource = z.infer<typeof CostSourceSchema>;

/** GET /v1/workspaces/:workspaceId/reconciliation?from&to (ISO; from inclusive, to exclusive, UTC days). */
export const ReconciliationQuerySchema = z
  .object({ from: isoTime().optional(), to: isoTime().optional() })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), { message: 'from must be before to', path: ['from'] });
export type ReconciliationQuery = z.infer<typeof ReconciliationQuerySchema>;

const usd = z.number();
const count = z.number();

/**
 * A likely cause of a difference, with its figures. `amountUsd` is the part of the difference
 * (billed minus computed) it accounts for, when that can be said.
 */
export const ReconciliationCauseSchema = z.discriminatedUnion('kind', [
  /** Requests whose model the price catalog does not know: logged, but at no cost. */
  z.object({ kind: z.literal('unpriced_model'), provider: z.string(), day: z.string(), model: z.string(), requests: count, amountUsd: usd.nullable() }),
  /** Billed, but the logs have nothing or far less than the bill's usage for it. */
  z.object({
    kind: z.literal('missing_logs'),
    provider: z.string(),
    day: z.string(),
    model: z.string().nullable(),
    loggedRequests: count,
    billedRequests: count.nullable(),
    loggedTokens: count,
    billedTokens: count.nullable(),
    amountUsd: usd,
  }),
  /** Cost lines of the bill that are credits or negative amounts. */
  z.object({ kind: z.literal('credit'), provider: z.string(), day: z.string(), lineItem: z.string(), amountUsd: usd }),
  /** The bill is the same fraction below (or above) the computed cost on every comparable line: a discount. */
  z.object({
    kind: z.literal('discount'),
    provider: z.string(),
    /** On a line: that line's day and model; in the summary list: null, the whole provider. */
    day: z.string().nullable(),
    model: z.string().nullable(),
    /** How far the bill is below the computed cost, in percent (negative: above). */
    percent: z.number(),
    /** Lines sharing the ratio. */
    lines: count,
    amountUsd: usd,
  }),
  /** The bill's token count for a model-day differs from the logged one. */
  z.object({ kind: z.literal('tokens_mismatch'), provider: z.string(), day: z.string(), model: z.string().nullable(), loggedTokens: count, billedTokens: count, differenceTokens: count }),
]);
export type ReconciliationCause = z.infer<typeof ReconciliationCauseSchema>;

/** The figures of one comparison: billed minus computed, and that as a percentage of the computed. */
const comparison = {
  computedUsd: usd,
  /** Null where the bill says nothing of this (no billing data for the provider that day). */
  billedUsd: usd.nullable(),
  differenceUsd: usd.nullable(),
  /** Null when the computed cost is 0 or nothing was billed. */
  differencePct: z.number().nullable(),
};

/** One provider-day and model (null: the bill is not broken down by model, or a line of the bill with no model). */
export const ReconciliationLineSchema = z.object({
  provider: z.string(),
  day: z.string(),
  model: z.string().nullable(),
  ...comparison,
  loggedRequests: count,
  billedRequests: count.nullable(),
  loggedTokens: count,
  billedTokens: count.nullable(),
  unpricedRequests: count,
  /** True on a day the provider is still billing (today): its bill so far is shown, not compared, and no cause is given. */
  partial: z.boolean().optional(),
  causes: z.array(ReconciliationCauseSchema),
});
export type ReconciliationLine = z.infer<typeof ReconciliationLineSchema>;

export const ReconciliationDaySchema = z.object({
  provider: z.string(),
  day: z.string(),
  ...comparison,
  /** The source this day's total is taken from (see UsageSourceSetting). */
  source: CostSourceSchema,
  /** True on a day the provider is still billing (today): left out of the provider's comparison. */
  partial: z.boolean().optional(),
});
export type ReconciliationDay = z.infer<typeof ReconciliationDaySchema>;

export const ReconciliationProviderSchema = z.object({
  provider: z.string(),
  ...comparison,
  /** Days with complete billing data (compared), and whether the bill breaks cost down by model. */
  billedDays: count,
  byModel: z.boolean(),
  setting: UsageSourceSettingSchema,
  /** The provider's total as the dashboard counts it (each day from one source), and what came from where. */
  totalUsd: usd,
  fromRequestsUsd: usd,
  fromBillingUsd: usd,
  /** `mixed` when some days came from each. */
  source: z.enum(['requests', 'billing', 'mixed']),
  /** Causes summed per kind for this provider (figures of each in `causes`). */
  explainedUsd: z.object({ unpriced_model: usd, missing_logs: usd, credit: usd, discount: usd }),
});
export type ReconciliationProvider = z.infer<typeof ReconciliationProviderSchema>;

/** GET /v1/workspaces/:workspaceId/reconciliation */
export const ReconciliationSchema = z.object({
  from: z.string().nullable(),
  to: z.string().nullable(),
  /** False when no connector has stored a bill yet: then every figure is computed only. */
  hasBilling: z.boolean(),
  providers: z.array(ReconciliationProviderSchema),
  days: z.array(ReconciliationDaySchema),
  lines: z.array(ReconciliationLineSchema),
  causes: z.array(ReconciliationCauseSchema),
});
export type Reconciliation = z.infer<typeof ReconciliationSchema>;

/** One provider's authoritative source for totals. */
export const UsageSourceSchema = z.object({
  provider: ConnectorProviderSchema,
  setting: UsageSourceSettingSchema,
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
export type UsageSource = z.infer<typeof UsageSourceSchema>;

/** GET/PUT /v1/workspaces/:workspaceId/usage-sources: every billed provider, `auto` where none was chosen. */
export const UsageSourcesSchema = z.object({ sources: z.array(UsageSourceSchema) });
export type UsageSources = z.infer<typeof UsageSourcesSchema>;

/** PUT body: `auto` removes the stored choice. */
export const PutUsageSourceSchema = z.object({ provider: ConnectorProviderSchema, setting: UsageSourceSettingSchema }).strict();
export type PutUsageSource = z.infer<typeof PutUsageSourceSchema>;
