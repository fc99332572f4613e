import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('gives the embedded defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, databaseUrl: undefined, redisUrl: undefined, llm: { kind: 'offline' } });
  });

  it('runs the embedded store\'s pipelines on one run thread by default, PostgreSQL\'s on the main thread; as many as asked', () => {
    const pg = 'postgres://u@127.0.0.1:5432/tally';
    expect(loadConfig({}).runThreads).toBe(1);
    expect(loadConfig({ TALLY_DATABASE_URL: pg }).runThreads).toBe(0);
    expect(loadConfig({ TALLY_DATABASE_URL: pg, TALLY_RUN_THREADS: 'auto' }).runThreads).toBe(Math.max(1, os.availableParallelism() - 1));
    expect(loadConfig({ TALLY_RUN_THREADS: 'auto' }).runThreads).toBe(1);
    expect(loadConfig({ TALLY_RUN_THREADS: '0' }).runThreads).toBe(0);
    expect(loadConfig({ TALLY_DATABASE_URL: pg, TALLY_RUN_THREADS: '3' }).runThreads).toBe(3);
    // The embedded engine's run threads reach its database thread over ports.
    expect(loadConfig({ TALLY_RUN_THREADS: '2' }).runThreads).toBe(2);
    expect(() => loadConfig({ TALLY_DATABASE_URL: pg, TALLY_RUN_THREADS: 'many' })).toThrow(ConfigError);
  });

  it('keeps 50,000 rows of analysis reads by default, as many as asked, none at 0, and refuses a count that is not one', () => {
    expect(loadConfig({}).analysisCacheRows).toBe(50_000);
    expect(loadConfig({ TALLY_ANALYSIS_CACHE_ROWS: '200000' }).analysisCacheRows).toBe(200_000);
    expect(loadConfig({ TALLY_ANALYSIS_CACHE_ROWS: '0' }).analysisCacheRows).toBe(0);
    for (const bad of ['-1', 'lots', '1.5']) expect(() => loadConfig({ TALLY_ANALYSIS_CACHE_ROWS: bad }), bad).toThrow(ConfigError);
  });

  it("leaves the PostgreSQL pool's size to the store unless asked, and refuses a size that is not one", () => {
    expect(loadConfig({}).databasePoolMax).toBeUndefined();
    expect(loadConfig({ TALLY_DATABASE_POOL_MAX: '30' }).databasePoolMax).toBe(30);
    for (const bad of ['0', '-1', 'lots', '1.5', '1001']) expect(() => loadConfig({ TALLY_DATABASE_POOL_MAX: bad }), bad).toThrow(ConfigError);
  });

  it('takes TALLY_PORT over PORT', () => {
    expect(loadConfig({ PORT: '9000' }).port).toBe(9000);
    expect(loadConfig({ PORT: '9000', TALLY_PORT: '9001' }).port).toBe(9001);
  });

  it.each([
    [{ TALLY_PORT: 'eighty' }, 'TALLY_PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ TALLY_DATABASE_URL: 'mysql://x' }, 'TALLY_DATABASE_URL'],
    [{ TALLY_REDIS_URL: 'http://x' }, 'TALLY_REDIS_URL'],
    [{ TALLY_CLICKHOUSE_URL: 'tcp://h:9000' }, 'TALLY_CLICKHOUSE_URL'],
    [{ TALLY_CLICKHOUSE_URL: 'http://h:8123/db/extra' }, 'TALLY_CLICKHOUSE_URL'],
    [{ TALLY_JWT_SECRET: 'short' }, 'TALLY_JWT_SECRET'],
    [{ TALLY_LLM_BASE_URL: 'http://127.0.0.1:1/v1' }, 'TALLY_LLM_MODEL'],
    [{ TALLY_LLM_MODEL: 'gpt-4o' }, 'TALLY_LLM_BASE_URL'],
    [{ TALLY_LLM_PROVIDER: 'openai-compatible', TALLY_LLM_MODEL: 'gpt-4o' }, 'TALLY_LLM_BASE_URL'],
    [{ TALLY_LLM_PROVIDER: 'anthropic', TALLY_LLM_MODEL: 'claude-sonnet-4-5' }, 'TALLY_LLM_API_KEY'],
    [{ TALLY_LLM_PROVIDER: 'anthropic', TALLY_LLM_API_KEY: 'k' }, 'TALLY_LLM_MODEL'],
    [{ TALLY_LLM_PROVIDER: 'bedrock' }, 'TALLY_LLM_PROVIDER'],
    [{ TALLY_LOG_LEVEL: 'loud' }, 'TALLY_LOG_LEVEL'],
  ])('stops on %o naming %s', (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toMatch(new RegExp(`^Invalid configuration: ${variable} `));
    expect((error as ConfigError).message).not.toContain('\n');
  });

  it('mails workspace invitations only through an SMTP URL it was given', () => {
    expect(loadConfig({}).smtp).toBeNull();
    expect(loadConfig({ TALLY_SMTP_URL: 'smtps://tally:secret@mail.example.com:465' }).smtp).toEqual({ url: 'smtps://tally:secret@mail.example.com:465', from: 'Tally <tally@localhost>' });
    expect(loadConfig({ TALLY_SMTP_URL: 'smtp://127.0.0.1:2525', TALLY_SMTP_FROM: 'FinOps <finops@example.com>' }).smtp?.from).toBe('FinOps <finops@example.com>');
    expect(() => loadConfig({ TALLY_SMTP_URL: 'http://mail.example.com' })).toThrow(/TALLY_SMTP_URL/);
  });

  it('takes a ClickHouse URL for usage analytics, with or without a database path', () => {
    expect(loadConfig({}).clickhouseUrl).toBeUndefined();
    expect(loadConfig({ TALLY_CLICKHOUSE_URL: 'http://h:8123' }).clickhouseUrl).toBe('http://h:8123');
    expect(loadConfig({ TALLY_CLICKHOUSE_URL: 'https://u:p@h:8443/tally' }).clickhouseUrl).toBe('https://u:p@h:8443/tally');
  });

  it('switches to the scale-out engines and the LLM when configured', () => {
    const config = loadConfig({
      TALLY_DATABASE_URL: 'postgres://u@h:5432/db',
      TALLY_REDIS_URL: 'redis://h:6379',
      TALLY_LLM_BASE_URL: 'http://127.0.0.1:11434/v1',
      TALLY_LLM_MODEL: 'llama3',
    });
    expect(config).toMatchObject({ databaseUrl: 'postgres://u@h:5432/db', redisUrl: 'redis://h:6379', llm: { kind: 'openai-compatible', model: 'llama3' } });
  });

  it('configures Anthropic with its own API by default, or a given base URL', () => {
    const env = { TALLY_LLM_PROVIDER: 'anthropic', TALLY_LLM_API_KEY: 'sk-ant', TALLY_LLM_MODEL: 'claude-sonnet-4-5' };
    expect(loadConfig(env).llm).toEqual({ kind: 'anthropic', baseUrl: undefined, apiKey: 'sk-ant', model: 'claude-sonnet-4-5', timeoutMs: 60_000 });
    expect(loadConfig({ ...env, TALLY_LLM_BASE_URL: 'http://127.0.0.1:9/v1' }).llm).toMatchObject({ kind: 'anthropic', baseUrl: 'http://127.0.0.1:9/v1' });
  });
});
