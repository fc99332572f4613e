import type { User } from '@tally/protocol';

/** The name to greet a user by: their display name when they set one, else their email. */
export function displayNameOf(user: User): string {
  // `displayName` is optional here so this reads users from servers that do not send it yet.
  const name = (user as User & { displayName?: string | null }).displayName?.trim();
  return name || user.email;
}
