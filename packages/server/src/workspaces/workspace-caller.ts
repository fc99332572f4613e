/**
 * Who acts on workspace data, and where: a member (already authorised in the workspace by the
 * HTTP guard or the gateway) and the workspace the route or command names. Every query on
 * threads and runs is scoped by both.
 */
export interface WorkspaceCaller {
  userId: string;
  workspaceId: string;
}
