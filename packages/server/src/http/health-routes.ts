import type { FastifyInstance } from 'fastify';
import type { Health, Readiness } from '@tally/protocol';

/** What readiness asks of the node at each probe. */
export interface ReadinessChecks {
  /** Resolves when the database answers a trivial statement (the caller bounds its time). */
  database(): Promise<void>;
  /** Redis links: undefined when the node has none (memory bus, in-process store). */
  bus(): boolean | undefined;
  ephemeral(): boolean | undefined;
  /** The node is shutting down: its runs are being handed back and its sockets closed. */
  draining(): boolean;
}

/** A database that has not answered in this long counts as down for readiness. */
const DATABASE_PROBE_MS = 2_000;

/**
 * `/v1/health` (what the node runs on), `/v1/health/live` (the process answers: restart it if
 * not) and `/v1/health/ready` (send it traffic: 503 while draining or while the database or Redis
 * is unreachable). Migrations end before the node listens, so a node migrating answers nothing.
 */
export async function healthRoutes(app: FastifyInstance, deps: { engines: Health['engines']; version: string; readiness: ReadinessChecks }): Promise<void> {
  app.get('/v1/health', async (): Promise<Health> => ({ status: 'ok', version: deps.version, engines: deps.engines }));
  app.get('/v1/health/live', async () => ({ status: 'live' as const }));
  app.get('/v1/health/ready', async (_request, reply): Promise<Readiness> => {
    const { readiness } = deps;
    const database = await withinMs(readiness.database(), DATABASE_PROBE_MS);
    const link = (up: boolean | undefined) => (up === undefined ? 'none' : up ? 'up' : 'down');
    const checks: Readiness['checks'] = { database: database ? 'up' : 'down', bus: link(readiness.bus()), ephemeral: link(readiness.ephemeral()) };
    const draining = readiness.draining();
    const ready = !draining && Object.values(checks).every((c) => c !== 'down');
    reply.code(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not_ready', draining, checks };
  });
}

/** Whether the promise resolved within the time (a hung database counts as down). */
function withinMs(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([promise.then(() => true, () => false), timeout]).finally(() => clearTimeout(timer));
}
