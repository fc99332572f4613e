import type { RestClient } from '@tally/client';
import type { Workspace } from '@tally/protocol';

/**
 * A workspace of the caller's by id, or by name when exactly one has it; without `given`, their
 * personal workspace (the default of every data command's `--workspace`).
 */
export async function findWorkspace(client: RestClient, given?: string): Promise<Workspace> {
  const mine = await client.workspaces.list();
  if (given === undefined) {
    const personal = mine.find((w) => w.personal);
    if (!personal) throw new Error('this account has no personal workspace: name one with --workspace (tally workspace list)');
    return personal;
  }
  const byId = mine.find((w) => w.id === given);
  if (byId) return byId;
  const byName = mine.filter((w) => w.name.toLowerCase() === given.toLowerCase());
  if (byName.length === 1) return byName[0]!;
  throw new Error(byName.length ? `several of your workspaces are named "${given}": give its id (tally workspace list)` : `you are in no workspace "${given}" (tally workspace list)`);
}
