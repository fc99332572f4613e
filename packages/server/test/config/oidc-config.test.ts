import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('OpenID Connect configuration', () => {
  const base = { TALLY_OIDC_CLIENT_ID: 'tally', TALLY_OIDC_CLIENT_SECRET: 's3cret' };

  it('is off by default, and needs an issuer, a client id and a secret together', () => {
    expect(loadConfig({}).oidc).toBeNull();
    expect(() => loadConfig({ TALLY_OIDC_CLIENT_ID: 'tally' })).toThrow(/TALLY_OIDC_ISSUER is required when TALLY_OIDC_CLIENT_ID is set/);
    expect(() => loadConfig({ TALLY_OIDC_ISSUER: 'https://idp.example.com' })).toThrow(/^Invalid configuration: TALLY_OIDC_CLIENT_ID /);
    expect(() => loadConfig({ TALLY_OIDC_ISSUER: 'https://idp.example.com', TALLY_OIDC_CLIENT_ID: 'tally' })).toThrow(/TALLY_OIDC_CLIENT_SECRET/);
  });

  it('defaults the redirect URL to the public URL, itself defaulting to localhost', () => {
    expect(loadConfig({ ...base, TALLY_OIDC_ISSUER: 'https://idp.example.com', TALLY_PORT: '9000' }).oidc).toEqual({
      issuer: 'https://idp.example.com',
      clientId: 'tally',
      clientSecret: 's3cret',
      redirectUrl: 'http://localhost:9000/v1/auth/oidc/callback',
    });
    const config = loadConfig({ ...base, TALLY_OIDC_ISSUER: 'https://idp.example.com/realms/acme', TALLY_PUBLIC_URL: 'https://tally.example.com/' });
    expect(config.publicUrl).toBe('https://tally.example.com');
    expect(config.oidc?.redirectUrl).toBe('https://tally.example.com/v1/auth/oidc/callback');
    expect(config.oidc?.issuer).toBe('https://idp.example.com/realms/acme');
  });

  it('refuses a plain-http issuer off this machine, and bad URLs, naming the variable', () => {
    const bad: Array<[Record<string, string>, string]> = [
      [{ ...base, TALLY_OIDC_ISSUER: 'http://idp.example.com' }, 'TALLY_OIDC_ISSUER'],
      [{ ...base, TALLY_OIDC_ISSUER: 'not a url' }, 'TALLY_OIDC_ISSUER'],
      [{ ...base, TALLY_OIDC_ISSUER: 'https://idp.example.com', TALLY_OIDC_REDIRECT_URL: 'https://t.example.com/cb?x=1' }, 'TALLY_OIDC_REDIRECT_URL'],
      [{ TALLY_PUBLIC_URL: 'https://t.example.com/tally' }, 'TALLY_PUBLIC_URL'],
    ];
    for (const [env, variable] of bad) {
      let error: unknown;
      try {
        loadConfig(env);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe(variable);
      expect((error as ConfigError).message.split('\n')).toHaveLength(1);
    }
    expect(loadConfig({ ...base, TALLY_OIDC_ISSUER: 'http://127.0.0.1:9999' }).oidc?.issuer).toBe('http://127.0.0.1:9999');
    expect(loadConfig({ ...base, TALLY_OIDC_ISSUER: 'http://localhost:9999/' }).oidc?.issuer).toBe('http://localhost:9999/');
  });
});
