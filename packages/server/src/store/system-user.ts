/**
 * The reserved owner of Tally's own LLM usage (every model call the agents make), created by
 * migration 0002. Its password hash is not a hash, so no password verifies against it and it can
 * never log in; its email is not an address anyone can sign up with. An admin reads what Tally
 * itself costs as this owner's usage (project `tally`, one feature per agent).
 */
export const SYSTEM_USER_ID = '00000000-0000-4000-8000-000000000001';
export const SYSTEM_USER_EMAIL = 'tally-system@localhost';
/** Not an argon2 hash: verification of any password fails. */
export const UNUSABLE_PASSWORD_HASH = '!unusable';
