import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('gives the embedded defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, databaseUrl: undefined, redisUrl: undefined, llm: { kind: 'offline' } });
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
    [{ TALLY_JWT_SECRET: 'short' }, 'TALLY_JWT_SECRET'],
    [{ TALLY_LLM_BASE_URL: 'http://127.0.0.1:1/v1' }, 'TALLY_LLM_MODEL'],
    [{ TALLY_LLM_MODEL: 'gpt-4o' }, 'TALLY_LLM_BASE_URL'],
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

  it('switches to the scale-out engines and the LLM when configured', () => {
    const config = loadConfig({
      TALLY_DATABASE_URL: 'postgres://u@h:5432/db',
      TALLY_REDIS_URL: 'redis://h:6379',
      TALLY_LLM_BASE_URL: 'http://127.0.0.1:11434/v1',
      TALLY_LLM_MODEL: 'llama3',
    });
    expect(config).toMatchObject({ databaseUrl: 'postgres://u@h:5432/db', redisUrl: 'redis://h:6379', llm: { kind: 'openai-compatible', model: 'llama3' } });
  });
});
