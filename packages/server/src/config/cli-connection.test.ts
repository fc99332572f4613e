import { describe, expect, it } from 'vitest';
import { cliCredentials, serverUrl } from './cli-connection.js';

describe('serverUrl', () => {
  it('takes --url, then TALLY_URL, then the port of TALLY_PORT or PORT on this machine', () => {
    expect(serverUrl('https://tally.example.com/', { TALLY_URL: 'http://x:1' })).toBe('https://tally.example.com');
    expect(serverUrl(undefined, { TALLY_URL: 'http://tally.internal:9000/', TALLY_PORT: '7000' })).toBe('http://tally.internal:9000');
    expect(serverUrl(undefined, { TALLY_PORT: '7000', PORT: '6000' })).toBe('http://127.0.0.1:7000');
    expect(serverUrl(undefined, { PORT: '6000' })).toBe('http://127.0.0.1:6000');
    expect(serverUrl(undefined, { TALLY_URL: ' ', PORT: '' })).toBe('http://127.0.0.1:8080');
  });
});

describe('cliCredentials', () => {
  it('reads TALLY_EMAIL and TALLY_PASSWORD, leaving out what is unset or empty', () => {
    expect(cliCredentials({ TALLY_EMAIL: ' me@example.com ', TALLY_PASSWORD: ' secret with spaces ' })).toEqual({ email: 'me@example.com', password: ' secret with spaces ' });
    expect(cliCredentials({ TALLY_EMAIL: '', TALLY_PASSWORD: '' })).toEqual({});
    expect(cliCredentials({})).toEqual({});
  });
});
