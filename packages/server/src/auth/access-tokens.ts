import { SignJWT, jwtVerify, errors } from 'jose';
import { AppError } from '../app-error.js';

export interface AccessClaims {
  userId: string;
  email: string;
  role: 'admin' | 'member';
  /** The signed-in session the token belongs to (absent for API keys); revoking it ends the token. */
  sessionId?: string;
}

export interface AccessTokens {
  sign(claims: AccessClaims): Promise<string>;
  /** Throws AUTH_INVALID_TOKEN for anything but a valid, unexpired token of this server. */
  verify(token: string): Promise<AccessClaims>;
  ttlSeconds: number;
}

const ISSUER = 'tally';
const AUDIENCE = 'tally-api';
/** Verified tokens remembered; a client reconnecting or calling again with the same token skips the HMAC. */
const VERIFIED_CACHE_SIZE = 5_000;

/** Short-lived HS256 access tokens. Only HS256 is accepted: `alg: none` and others fail. */
export function createAccessTokens(options: { secret: string; ttlSeconds: number; now?: () => number }): AccessTokens {
  const key = new TextEncoder().encode(options.secret);
  const now = options.now ?? Date.now;
  // A token's signature and claims never change, so one that verified stays valid until it
  // expires (revocation is the session check's, outside). Only successes are kept, so a forged
  // token is verified, and refused, every time.
  const verified = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();
  return {
    ttlSeconds: options.ttlSeconds,
    async sign(claims) {
      return new SignJWT({ email: claims.email, role: claims.role, ...(claims.sessionId ? { sid: claims.sessionId } : {}) })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(claims.userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${options.ttlSeconds}s`)
        .sign(key);
    },
    async verify(token) {
      const known = verified.get(token);
      if (known && known.expiresAtMs > now()) return { ...known.claims };
      if (known) verified.delete(token);
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], currentDate: new Date(now()) });
        const role = payload['role'];
        const email = payload['email'];
        const sid = payload['sid'];
        if (!payload.sub || typeof email !== 'string' || (role !== 'admin' && role !== 'member') || typeof sid !== 'string') {
          throw new AppError('AUTH_INVALID_TOKEN');
        }
        const claims: AccessClaims = { userId: payload.sub, email, role, sessionId: sid };
        if (typeof payload.exp === 'number') {
          if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
          verified.set(token, { claims, expiresAtMs: payload.exp * 1000 });
        }
        return { ...claims };
      } catch (error) {
        if (error instanceof AppError) throw error;
        if (error instanceof errors.JOSEError) throw new AppError('AUTH_INVALID_TOKEN');
        throw error;
      }
    },
  };
}
