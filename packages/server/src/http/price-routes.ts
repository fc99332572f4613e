import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  ApplyRepriceRequestSchema,
  LoadCatalogQuerySchema,
  PriceListQuerySchema,
  ProviderDiscountRequestSchema,
  type CatalogSource,
  type PriceList,
  type PriceSettingsDto,
  type RepriceJob,
} from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { AuditEventInput, AuditLog } from '../audit/audit-log.js';
import { parseCatalogData } from '../pricing/catalog-data.js';
import { clearCatalogData, saveCatalogData } from '../pricing/catalog-data-store.js';
import type { LivePriceCatalog } from '../pricing/live-price-catalog.js';
import { buildPriceList } from '../pricing/price-list.js';
import { loadPriceSettings, setProviderDiscount } from '../pricing/price-settings.js';
import type { RepriceJobs } from '../pricing/reprice-jobs.js';
import type { Db } from '../store/database.js';
import type { UsageStore } from '../usage/usage-store.js';
import { userOf } from './authenticate.js';
import { parseInput } from './parse-input.js';

export interface PriceRouteDeps {
  db: Db;
  prices: LivePriceCatalog;
  /** The caller's own usage, for the models on their price list. */
  usage: UsageStore;
  jobs: RepriceJobs;
  audit: AuditLog;
}

/** A genai-prices data file is about 0.5 MB today; room for it to grow, not for anything. */
const CATALOG_BODY_LIMIT = 16 * 1024 * 1024;

const JobParamsSchema = z.object({ id: z.string() });

/**
 * Prices: the list every user sees (GET /v1/prices), and the admin's discounts, catalog data and
 * re-pricing under /v1/admin/prices. Every change is stored, audited and announced to every node
 * (LivePriceCatalog.changed) before the answer: the next request on any node prices with it.
 * Who may call each route is ROUTE_ACCESS's to say (route-access.ts), not this plugin's.
 */
export async function priceRoutes(app: FastifyInstance, deps: PriceRouteDeps): Promise<void> {
  const { db, prices, jobs } = deps;
  const record = (request: FastifyRequest, event: Omit<AuditEventInput, 'actorId' | 'ip'>) =>
    deps.audit.record({ ...event, actorId: userOf(request).userId, ip: request.ip });

  app.get('/v1/prices', async (request): Promise<PriceList> => {
    const { model } = parseInput(PriceListQuerySchema, request.query);
    // Owner-scoped: the models of the caller's own usage only.
    const overview = await deps.usage.overview(userOf(request).userId);
    return buildPriceList(prices.current(), model ? [...overview.models, model] : overview.models);
  });

  app.put('/v1/admin/prices/discounts', async (request): Promise<PriceSettingsDto> => {
    const { provider, percent } = parseInput(ProviderDiscountRequestSchema, request.body);
    await setProviderDiscount(db, provider, percent);
    await prices.changed();
    await record(request, { action: 'admin.price_discount_set', target: `price-discount:${provider.toLowerCase()}`, details: { provider, percent } });
    return loadPriceSettings(db);
  });

  app.put('/v1/admin/prices/catalog', { bodyLimit: CATALOG_BODY_LIMIT }, async (request): Promise<CatalogSource> => {
    const { version } = parseInput(LoadCatalogQuerySchema, request.query);
    // Checked whole before anything is stored: a bad file changes nothing.
    const data = parseCatalogData(JSON.stringify(request.body ?? null), version);
    await saveCatalogData(db, data, userOf(request).userId);
    await prices.changed();
    await record(request, { action: 'admin.price_catalog_loaded', target: 'price-catalog', details: { version: data.version, sha256: data.sha256, providers: data.providers.length, models: data.modelCount } });
    return prices.current().source;
  });

  app.delete('/v1/admin/prices/catalog', async (request): Promise<CatalogSource> => {
    const removed = await clearCatalogData(db);
    await prices.changed();
    if (removed) await record(request, { action: 'admin.price_catalog_cleared', target: 'price-catalog' });
    return prices.current().source;
  });

  app.post('/v1/admin/prices/reprice/preview', async (request, reply): Promise<RepriceJob> => {
    // The prices this node holds are those in force: reloaded first in case a message was missed.
    await prices.reload();
    const job = await jobs.startPreview(userOf(request).userId);
    void reply.status(202);
    return job;
  });

  app.post('/v1/admin/prices/reprice/apply', async (request, reply): Promise<RepriceJob> => {
    const { previewId } = parseInput(ApplyRepriceRequestSchema, request.body);
    const job = await jobs.startApply(userOf(request).userId, previewId);
    await record(request, { action: 'admin.reprice_applied', target: `reprice:${job.id}`, details: { previewId, pricesFingerprint: job.pricesFingerprint } });
    void reply.status(202);
    return job;
  });

  app.get('/v1/admin/prices/reprice/:id', async (request): Promise<RepriceJob> => {
    const parsed = JobParamsSchema.safeParse(request.params);
    if (!parsed.success) throw new AppError('REPRICE_JOB_NOT_FOUND');
    return jobs.get(parsed.data.id);
  });
}
