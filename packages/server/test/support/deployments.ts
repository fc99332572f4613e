import crypto from 'node:crypto';
import { describe, inject, it } from 'vitest';

interface Closable {
  close(): Promise<void>;
}

/**
 * An implementation as the nodes of deployments see it, for contract suites of what nodes share
 * (the bus, the ephemeral store): a node, another node of the same deployment, and a node of
 * another deployment.
 */
export interface Deployments<T> {
  node: T;
  /** Shares everything with `node` (Redis: same prefix, other connections; in-process: `node` itself). */
  sameDeployment: T;
  /** Shares nothing with `node` (Redis: another prefix; in-process: another instance). */
  otherDeployment: T;
  close(): Promise<void>;
}

/** In-process: one node is the whole deployment. */
export function inProcessDeployments<T extends Closable>(make: () => T): Deployments<T> {
  const node = make();
  const other = make();
  return { node, sameDeployment: node, otherDeployment: other, close: async () => void (await Promise.all([node.close(), other.close()])) };
}

/** Over Redis: deployments are told apart by their key prefix, as TALLY_REDIS_PREFIX does. */
export async function redisDeployments<T extends Closable>(make: (prefix: string) => Promise<T>): Promise<Deployments<T>> {
  const prefix = `test-${crypto.randomBytes(4).toString('hex')}:`;
  const [node, sameDeployment, otherDeployment] = await Promise.all([make(prefix), make(prefix), make(`${prefix}other:`)]);
  return { node, sameDeployment, otherDeployment, close: async () => void (await Promise.all([node.close(), sameDeployment.close(), otherDeployment.close()])) };
}

type Service = 'postgres' | 'redis' | 'clickhouse';

/**
 * Tests that need a real service, given its URL. Without the service they are skipped loudly
 * outside CI, and fail under CI=true.
 */
export function describeWithService(name: string, service: Service, body: (url: string) => void): void {
  const url = inject(`${service}Url`);
  const missing = inject('servicesMissing')[service] ?? `no ${service} URL was provided`;
  if (url) {
    describe(name, () => body(url));
  } else if (process.env['CI'] === 'true') {
    describe(name, () => {
      it(`needs ${service} under CI=true`, () => {
        throw new Error(`${service} is required under CI=true: ${missing}`);
      });
    });
  } else {
    console.warn(`\n!!! ${name} SKIPPED: ${missing}\n`);
    describe.skip(`${name} (SKIPPED: ${missing})`, () => {
      it('runs', () => {});
    });
  }
}
