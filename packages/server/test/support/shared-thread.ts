import { rest } from './rest.js';
import type { TestSocket } from './ws-test-client.js';

/**
 * A thread `person` asks in `workspaceId` through `socket` (theirs), its first run finished, then
 * shared with the workspace as its author does; its ids. For tests of what other members may do
 * with someone else's shared thread.
 */
export async function askSharedThread(baseUrl: string, socket: TestSocket, person: { token: string }, workspaceId: string): Promise<{ threadId: string; runId: string }> {
  const ack = await socket.command('send_message', { workspaceId, text: 'Where is my AI money going?' });
  if (ack['type'] !== 'ack') throw new Error(`send_message refused: ${JSON.stringify(ack)}`);
  const { threadId, runId } = ack['data'] as { threadId: string; runId: string };
  await socket.waitForTerminal(runId);
  const sharing = await rest(baseUrl, 'PUT', `/v1/workspaces/${workspaceId}/threads/${threadId}/sharing`, { token: person.token, json: { shared: true } });
  if (sharing.status !== 200) throw new Error(`sharing refused: ${sharing.status} ${JSON.stringify(sharing.body)}`);
  return { threadId, runId };
}
