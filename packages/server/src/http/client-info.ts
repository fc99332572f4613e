import type { FastifyRequest } from 'fastify';
import type { ClientInfo } from '../auth/auth-service.js';

/** The device and address a request comes from, as the session list shows them. */
export function clientInfoOf(request: FastifyRequest): ClientInfo {
  const agent = request.headers['user-agent'] ?? 'unknown device';
  return { device: agent.slice(0, 200), ip: request.ip };
}

/**
 * Fastify's `trustProxy` for TALLY_TRUST_PROXY: false (believe no forwarded header: request.ip is
 * the socket's peer), the proxies' addresses/CIDRs, or a hop count (the n nearest hops are proxies).
 */
export function trustProxyOption(setting: false | number | string[]): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting !== 'number') return setting;
  const hops = setting;
  return (_address, hop) => hop < hops;
}
