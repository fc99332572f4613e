import type { FastifyRequest } from 'fastify';
import type { ClientInfo } from '../auth/auth-service.js';

/** The device and address a request comes from, as the session list shows them. */
export function clientInfoOf(request: FastifyRequest): ClientInfo {
  const agent = request.headers['user-agent'] ?? 'unknown device';
  return { device: agent.slice(0, 200), ip: request.ip };
}
