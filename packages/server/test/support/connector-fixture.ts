import { rest } from './rest.js';

/** Gives the workspace an OpenAI connector (made or its key replaced) as `owner`, over the API. */
export async function putTestConnector(baseUrl: string, owner: { token: string }, workspaceId: string, adminKey = 'sk-admin-test-0000'): Promise<void> {
  const put = await rest(baseUrl, 'PUT', `/v1/workspaces/${workspaceId}/connectors/openai`, { token: owner.token, json: { adminKey, backfillDays: 3 } });
  if (put.status !== 200 && put.status !== 201) throw new Error(`connector not put: ${put.status} ${JSON.stringify(put.body)}`);
}
