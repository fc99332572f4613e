import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * The container files, checked where no container engine can run them (this machine has the
 * docker client but no daemon, and no registry to pull base images from; docs/OPERATIONS.md says
 * what was run): the Dockerfile's stages, user and dependency install, every file it copies, the
 * server bundle it runs (built here, and its every package import a production dependency), and
 * docker-compose.yml's services, health checks and variables.
 */
const root = path.resolve(import.meta.dirname, '../../../..');
const read = (file: string) => fs.readFile(path.join(root, file), 'utf8');
const run = promisify(execFile);

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Dockerfile instructions per stage, continuation lines joined, comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!op) continue;
    if (op.toUpperCase() === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args!)!;
      stages.push({ from: from!, name, instructions: [] });
    } else if (stages.length > 0) stages.at(-1)!.instructions.push({ op: op.toUpperCase(), args: args! });
  }
  return stages;
}

const configSource = await read('packages/server/src/config/config.ts');
/** A variable config.ts reads (its schema lists each as `NAME:`). */
const knownVariable = (name: string) => new RegExp(`^\\s*${name}:`, 'm').test(configSource);

describe('Dockerfile', async () => {
  const stages = parseDockerfile(await read('Dockerfile'));
  const final = stages.at(-1)!;
  const all = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op);

  it('is multi-stage: a build stage with every dependency, an image with production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((s) => s.name === 'build')!;
    expect(all(build, 'RUN').some((r) => /npm ci(?!.*--omit=dev)/.test(r.args))).toBe(true);
    expect(all(build, 'RUN').some((r) => r.args.includes('npm run build -w @tally/web') && r.args.includes('node scripts/build-server.mjs'))).toBe(true);
    const deps = stages.find((s) => s.name === 'deps')!;
    expect(all(deps, 'RUN').some((r) => /npm ci --omit=dev/.test(r.args))).toBe(true);
    // The image installs nothing itself: node_modules comes from the production-only stage.
    expect(all(final, 'RUN').every((r) => !r.args.includes('npm'))).toBe(true);
    const copies = all(final, 'COPY').map((c) => c.args);
    expect(copies.filter((c) => c.includes('node_modules')).every((c) => c.includes('--from=deps'))).toBe(true);
    expect(copies.some((c) => c.includes('--from=build') && c.includes('/app/packages/web/dist'))).toBe(true);
  });

  it('runs as a non-root user, healthy when ready, with variables config.ts knows', () => {
    const user = all(final, 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    expect(all(final, 'HEALTHCHECK').at(-1)?.args).toContain('/v1/health/ready');
    const env = all(final, 'ENV').flatMap((e) => [...e.args.matchAll(/(\w+)=/g)].map((m) => m[1]!));
    expect(env.filter((name) => name.startsWith('TALLY_')).length).toBeGreaterThan(0);
    for (const name of env.filter((n) => n.startsWith('TALLY_'))) expect(knownVariable(name), name).toBe(true);
    expect(all(final, 'ENTRYPOINT').at(-1)?.args).toContain('packages/server/dist/main.js');
  });

  it('copies only files that exist and that .dockerignore lets through', async () => {
    const ignored = (await read('.dockerignore')).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const stage of stages) {
      for (const copy of all(stage, 'COPY').filter((c) => !c.args.includes('--from='))) {
        const sources = copy.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1);
        for (const source of sources) {
          await expect(fs.access(path.join(root, source)), `${source} (COPY in stage ${stage.name ?? 'final'})`).resolves.toBeUndefined();
          expect(ignored.filter((pattern) => pattern === source || pattern === source.replace(/\/$/, '')), source).toEqual([]);
        }
      }
    }
  });
});

describe('the server bundle the image runs', () => {
  const out = path.join(os.tmpdir(), `tally-bundle-${process.pid}`);
  afterAll(() => fs.rm(out, { recursive: true, force: true }));

  it('builds, with the thread entries beside main.js, and imports only production dependencies', async () => {
    await run(process.execPath, [path.join(root, 'scripts/build-server.mjs'), out], { cwd: root });
    const files = await fs.readdir(out);
    expect(files).toEqual(expect.arrayContaining(['main.js', 'run-thread-entry.js', 'pglite-thread-entry.js', 'common-passwords.txt']));
    // What `npm ci --omit=dev --workspace @tally/server` installs: the server's dependencies and
    // those of the workspace packages it depends on (bundled, but their dependencies are not).
    const dependencies: Record<string, string> = {};
    for (const pkg of ['server', 'protocol', 'client']) {
      Object.assign(dependencies, (JSON.parse(await read(`packages/${pkg}/package.json`)) as { dependencies?: Record<string, string> }).dependencies);
    }
    const imported = new Set<string>();
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      const code = await fs.readFile(path.join(out, file), 'utf8');
      // esbuild writes static imports one per line, and keeps dynamic ones with a literal as import("x").
      for (const m of code.matchAll(/^import\s(?:[^;]*?\sfrom\s*)?"([^"./][^"]*)";?$/gm)) imported.add(m[1]!);
      for (const m of code.matchAll(/\bimport\(\s*"([^"./][^"]*)"\s*\)/g)) imported.add(m[1]!);
    }
    const packageOf = (specifier: string) => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
    const external = [...imported].filter((s) => !s.startsWith('node:') && !builtinModules.includes(packageOf(s))).map(packageOf);
    expect(external.length).toBeGreaterThan(5);
    // Workspace packages are bundled (their TypeScript sources cannot run without tsx).
    expect(external.filter((p) => p.startsWith('@tally/'))).toEqual([]);
    expect(external.filter((p) => !(p in dependencies))).toEqual([]);
  }, 60_000);
});

describe('docker-compose.yml', async () => {
  interface Service {
    image?: string;
    build?: unknown;
    environment?: Record<string, string>;
    healthcheck?: { test: string[] };
    depends_on?: Record<string, { condition: string }>;
    volumes?: string[];
    ports?: string[];
  }
  const compose = parse(await read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
  const services = compose.services;
  const tallyNodes = Object.entries(services).filter(([, s]) => s.build !== undefined);

  it('has two Tally nodes, PostgreSQL, Redis, ClickHouse and nginx, each with a health check', () => {
    expect(tallyNodes.map(([name]) => name)).toEqual(['tally-1', 'tally-2']);
    for (const name of ['postgres', 'redis', 'clickhouse', 'nginx']) expect(services[name], name).toBeDefined();
    for (const [name, service] of Object.entries(services)) expect(service.healthcheck?.test.length, `${name} health check`).toBeGreaterThan(0);
    expect(services['nginx']!.ports).toEqual(['8080:80']);
  });

  it('nodes are ready-checked, wait for their stores, and share them', () => {
    for (const [name, node] of tallyNodes) {
      expect(node.healthcheck!.test.join(' '), name).toContain('/v1/health/ready');
      expect(node.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' }, clickhouse: { condition: 'service_healthy' } });
      expect(node.environment!['TALLY_DATABASE_URL']).toMatch(/^postgres:\/\/.*@postgres:5432\//);
      expect(node.environment!['TALLY_REDIS_URL']).toBe('redis://redis:6379');
      expect(node.environment!['TALLY_CLICKHOUSE_URL']).toMatch(/@clickhouse:8123\/tally$/);
    }
    expect(Object.keys(services['nginx']!.depends_on!)).toEqual(['tally-1', 'tally-2']);
  });

  it('sets only variables config.ts reads', () => {
    // Security's TALLY_TRUST_PROXY is checked once config.ts has it.
    const pending = knownVariable('TALLY_TRUST_PROXY') ? [] : ['TALLY_TRUST_PROXY'];
    for (const [, node] of tallyNodes) {
      for (const name of Object.keys(node.environment!).filter((n) => !pending.includes(n))) expect(knownVariable(name), name).toBe(true);
    }
  });

  it("nginx uses deploy/nginx.conf, whose upstreams are the compose file's nodes", async () => {
    expect(services['nginx']!.volumes).toContain('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro');
    const conf = await read('deploy/nginx.conf');
    const upstreams = [...conf.matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    expect(upstreams).toEqual(tallyNodes.map(([name]) => `${name}:8080`));
    expect(conf).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
  });
});
