import { z } from 'zod';

export const MIN_PASSWORD_LENGTH = 10;

export const CredentialsSchema = z.object({
  email: z.string().trim().toLowerCase().email().max(254),
  password: z.string().min(1).max(1024),
});
export type Credentials = z.infer<typeof CredentialsSchema>;

export const UserSchema = z.object({
  id: z.string().uuid(),
  email: z.string(),
  role: z.enum(['admin', 'member']),
});
export type User = z.infer<typeof UserSchema>;

export const AuthResponseSchema = z.object({
  accessToken: z.string(),
  /** Seconds until the access token expires. */
  expiresIn: z.number(),
  refreshToken: z.string(),
  user: UserSchema,
});
export type AuthResponse = z.infer<typeof AuthResponseSchema>;

export const RefreshRequestSchema = z.object({ refreshToken: z.string().min(1).max(512) });
export type RefreshRequest = z.infer<typeof RefreshRequestSchema>;

export const TicketResponseSchema = z.object({
  ticket: z.string(),
  /** Seconds the ticket stays valid; it is good for one upgrade. */
  expiresIn: z.number(),
});
export type TicketResponse = z.infer<typeof TicketResponseSchema>;
