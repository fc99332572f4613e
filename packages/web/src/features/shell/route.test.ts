import { describe, expect, it } from 'vitest';
import { oidcOutcome, parseRoute, routeHash } from './route.js';

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('routes', () => {
  it('reads each page from the hash and writes it back', () => {
    for (const hash of ['#/chat', `#/chat/${ID}`, '#/usage', '#/settings', '#/workspaces', `#/workspaces/${ID}`, '#/join']) expect(routeHash(parseRoute(hash))).toBe(hash);
    expect(parseRoute('#/workspaces/not-an-id')).toEqual({ page: 'workspaces', workspaceId: null });
    expect(parseRoute(`#/chat/${ID}/${ID}`)).toEqual({ page: 'chat', threadId: ID, messageId: ID });
    expect(routeHash(parseRoute(`#/chat/${ID}/${ID}`))).toBe(`#/chat/${ID}/${ID}`);
    expect(parseRoute(`#/chat/${ID}/nope`)).toEqual({ page: 'chat', threadId: ID });
  });

  it('opens the chat for an empty, unknown or malformed hash', () => {
    expect(parseRoute('')).toEqual({ page: 'chat', threadId: null });
    expect(parseRoute('#/nowhere')).toEqual({ page: 'chat', threadId: null });
    expect(parseRoute('#/chat/not-an-id')).toEqual({ page: 'chat', threadId: null });
  });

  it('recognises the end of an OIDC sign-in, with or without an error', () => {
    expect(oidcOutcome('#/oidc-complete')).toEqual({ error: null });
    expect(oidcOutcome('#/oidc-complete?error=ACCOUNT_DISABLED')).toEqual({ error: 'ACCOUNT_DISABLED' });
    expect(oidcOutcome('#/chat')).toBeNull();
  });
});
