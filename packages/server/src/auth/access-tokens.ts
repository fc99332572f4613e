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

/** Short-lived HS256 access tokens. Only HS256 is accepted: `alg: none` and others fail. */
export function createAccessTokens(options: { secret: string; ttlSeconds: number }): AccessTokens {
  const key = new TextEncoder().encode(options.secret);
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
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
        const role = payload['role'];
        const email = payload['email'];
        const sid = payload['sid'];
        if (!payload.sub || typeof email !== 'string' || (role !== 'admin' && role !== 'member') || typeof sid !== 'string') {
          throw new AppError('AUTH_INVALID_TOKEN');
        }
        return { userId: payload.sub, email, role, sessionId: sid };
      } catch (error) {
        if (error instanceof AppError) throw error;
        if (error instanceof errors.JOSEError) throw new AppError('AUTH_INVALID_TOKEN');
        throw error;
      }
    },
  };
}
