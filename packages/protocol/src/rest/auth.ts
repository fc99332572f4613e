import { z } from 'zod';
import { safeText } from '../safe-text.js';

export const MIN_PASSWORD_LENGTH = 10;

export const CredentialsSchema = z.object({
  email: z.string().trim().toLowerCase().email().max(254),
  password: z.string().min(1).max(1024),
});
export type Credentials = z.infer<typeof CredentialsSchema>;

/**
 * POST /v1/auth/signup. `setupToken`: the first account of a server reachable beyond this machine
 * (it becomes the admin) needs the token the server prints in its log; the web page reads it from
 * its `?setup=` parameter.
 */
export const SignupRequestSchema = CredentialsSchema.extend({ setupToken: z.string().max(200).optional() });
export type SignupRequest = z.infer<typeof SignupRequestSchema>;

/** Longest display name a user may set (after trimming). */
export const MAX_DISPLAY_NAME_LENGTH = 80;

export const UserSchema = z.object({
  id: z.string().uuid(),
  email: z.string(),
  role: z.enum(['admin', 'member']),
  /** The name the user chose to be shown by; null when unset (show the email). */
  displayName: z.string().nullable().default(null),
});
export type User = z.infer<typeof UserSchema>;

/** PATCH /v1/me: null (or only spaces) clears the display name. */
export const UpdateProfileRequestSchema = z.object({
  displayName: safeText()
    .trim()
    .max(MAX_DISPLAY_NAME_LENGTH)
    .nullable()
    .transform((name) => (name === '' ? null : name)),
});
export type UpdateProfileRequest = z.input<typeof UpdateProfileRequestSchema>;

export const AuthResponseSchema = z.object({
  accessToken: z.string(),
  /** Seconds until the access token expires. */
  expiresIn: z.number(),
  refreshToken: z.string(),
  user: UserSchema,
});
export type AuthResponse = z.infer<typeof AuthResponseSchema>;

/** Browsers send no body: their refresh token rides in the httpOnly `tally_refresh` cookie. */
export const RefreshRequestSchema = z.object({ refreshToken: z.string().min(1).max(512).optional() }).default({});
export const REFRESH_COOKIE = 'tally_refresh';

export const ChangePasswordSchema = z.object({
  currentPassword: z.string().min(1).max(1024),
  newPassword: z.string().min(1).max(1024),
});
export type ChangePassword = z.infer<typeof ChangePasswordSchema>;

/**
 * DELETE /v1/me: deletes the caller's own account and everything of it (usage, threads, runs,
 * API keys, sessions), for good. The password is asked again so that a stolen access token alone
 * cannot; no other field is accepted (the account is always the caller's own). An account that
 * signs in only through single sign-on has no password: an admin deletes it
 * (DELETE /v1/admin/users/:id).
 */
export const DeleteAccountRequestSchema = z.object({ password: z.string().min(1).max(1024) }).strict();
export type DeleteAccountRequest = z.infer<typeof DeleteAccountRequestSchema>;

export const SessionSchema = z.object({
  id: z.string().uuid(),
  device: z.string(),
  ip: z.string(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  /** The session this request was made from. */
  current: z.boolean(),
});
export type Session = z.infer<typeof SessionSchema>;
/** One signed-in device as GET /v1/sessions lists it (the same shape as Session). */
export const SessionInfoSchema = SessionSchema;
export type SessionInfo = Session;
export const SessionListSchema = z.object({ sessions: z.array(SessionSchema) });
/** DELETE /v1/sessions ("sign out all other sessions"): how many sessions ended. */
export const OtherSessionsRevokedSchema = z.object({ revoked: z.number().int().min(0) });
export type OtherSessionsRevoked = z.infer<typeof OtherSessionsRevokedSchema>;
export type RefreshRequest = z.infer<typeof RefreshRequestSchema>;

export const TicketResponseSchema = z.object({
  ticket: z.string(),
  /** Seconds the ticket stays valid; it is good for one upgrade. */
  expiresIn: z.number(),
});
export type TicketResponse = z.infer<typeof TicketResponseSchema>;

/** GET /v1/ws's query string: `?ticket=` from POST /v1/ws-tickets, or none (the bearer rides as a subprotocol). */
export const WsConnectQuerySchema = z.object({ ticket: z.string().min(1).optional() });
