import { createAnthropicClient } from './anthropic-client.js';
import { createOpenAiAdminClient } from './openai-admin-client.js';
import type { ProviderClients } from './provider-client.js';

/** Each provider's client, at the base URLs configured (TALLY_CONNECTOR_*_BASE_URL). */
export function createProviderClients(baseUrls: { openai: string; anthropic: string }): ProviderClients {
  return { openai: createOpenAiAdminClient(baseUrls.openai), anthropic: createAnthropicClient(baseUrls.anthropic) };
}
