import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  BackfillConnectorRequestSchema,
  ConnectorProviderSchema,
  PutConnectorRequestSchema,
  type Connector,
  type ConnectorList,
  type ConnectorProvider,
} from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { ConnectorService } from '../connectors/connector-service.js';
import { parseInput } from './parse-input.js';
import { workspaceAccessOf } from './route-access.js';

/**
 * A workspace's provider connectors (`/v1/workspaces/:workspaceId/connectors`, issue 18): members
 * list and read them (status, last error, key hint); admins and owners put an admin key (create,
 * or replace the key), remove one, ask a sync now or a backfill (ROUTE_ACCESS). The admin key is
 * accepted, never returned. An unknown provider in the path is CONNECTOR_NOT_FOUND, like a missing
 * connector.
 */
export async function connectorRoutes(app: FastifyInstance, deps: { connectors: ConnectorService }): Promise<void> {
  const { connectors } = deps;
  const providerOf = (request: FastifyRequest): ConnectorProvider => {
    const parsed = ConnectorProviderSchema.safeParse((request.params as { provider?: unknown }).provider);
    if (!parsed.success) throw new AppError('CONNECTOR_NOT_FOUND');
    return parsed.data;
  };
  const actorOf = (request: FastifyRequest) => {
    const { workspaceId, userId } = workspaceAccessOf(request);
    return { workspaceId, userId, ip: request.ip };
  };

  app.get('/v1/workspaces/:workspaceId/connectors', async (request): Promise<ConnectorList> => ({ connectors: await connectors.list(workspaceAccessOf(request).workspaceId) }));

  app.get('/v1/workspaces/:workspaceId/connectors/:provider', async (request): Promise<Connector> => connectors.get(workspaceAccessOf(request).workspaceId, providerOf(request)));

  app.put('/v1/workspaces/:workspaceId/connectors/:provider', async (request, reply): Promise<Connector> => {
    const provider = providerOf(request);
    const { connector, created } = await connectors.put(actorOf(request), provider, parseInput(PutConnectorRequestSchema, request.body));
    void reply.status(created ? 201 : 200).header('cache-control', 'no-store');
    return connector;
  });

  app.delete('/v1/workspaces/:workspaceId/connectors/:provider', async (request, reply) => {
    await connectors.remove(actorOf(request), providerOf(request));
    return reply.status(204).send();
  });

  app.post('/v1/workspaces/:workspaceId/connectors/:provider/sync', async (request, reply): Promise<Connector> => {
    const connector = await connectors.syncNow(actorOf(request), providerOf(request));
    void reply.status(202);
    return connector;
  });

  app.post('/v1/workspaces/:workspaceId/connectors/:provider/backfill', async (request, reply): Promise<Connector> => {
    const provider = providerOf(request);
    const connector = await connectors.backfill(actorOf(request), provider, parseInput(BackfillConnectorRequestSchema, request.body));
    void reply.status(202);
    return connector;
  });
}
