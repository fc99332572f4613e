import { AppError } from '../app-error.js';
import type { EphemeralStore } from '../kv/ephemeral-store.js';

export interface LoginThrottle {
  /** Throws AUTH_THROTTLED (with the seconds to wait) while the account or the IP is held back. */
  check(email: string, ip: string): Promise<void>;
  failed(email: string, ip: string): Promise<void>;
  succeeded(email: string): Promise<void>;
  /** Counts a probe that concerns no account of its own (a sign-up for a taken email) against the IP only. */
  failedFromIp(ip: string): Promise<void>;
}

export interface LoginThrottleOptions {
  /** Failures allowed per account, and per IP, before delays start. */
  freeFailuresPerAccount: number;
  freeFailuresPerIp: number;
  /** How long failures are remembered. */
  windowMs: number;
  /** The longest delay; delays double from 1 s up to it. */
  maxDelayMs: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  freeFailuresPerAccount: 5,
  freeFailuresPerIp: 20,
  windowMs: 15 * 60_000,
  maxDelayMs: 15 * 60_000,
};

/**
 * Growing delays after failed log-ins, per account and per IP, counted in the shared ephemeral
 * store so they hold across nodes. The delay applies whether or not the next password is right,
 * so guessing gains nothing by racing; a success clears the account's count.
 */
export function createLoginThrottle(kv: EphemeralStore, options: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE, now: () => number = Date.now): LoginThrottle {
  const keys = (email: string, ip: string) => [
    { count: `login-fail:acct:${email}`, lock: `login-lock:acct:${email}`, free: options.freeFailuresPerAccount },
    { count: `login-fail:ip:${ip}`, lock: `login-lock:ip:${ip}`, free: options.freeFailuresPerIp },
  ];
  async function fail(k: { count: string; lock: string; free: number }) {
    const failures = await kv.increment(k.count, options.windowMs);
    if (failures >= k.free) {
      const delay = Math.min(options.maxDelayMs, 1000 * 2 ** (failures - k.free));
      await kv.set(k.lock, String(now() + delay), delay);
    }
  }

  return {
    async check(email, ip) {
      for (const k of keys(email, ip)) {
        const until = Number((await kv.get(k.lock)) ?? 0);
        if (until > now()) {
          const seconds = Math.ceil((until - now()) / 1000);
          throw new AppError('AUTH_THROTTLED', `Too many failed log-ins; try again in ${seconds} s.`, { retryAfterSeconds: seconds });
        }
      }
    },
    async failed(email, ip) {
      for (const k of keys(email, ip)) await fail(k);
    },
    async failedFromIp(ip) {
      await fail(keys('', ip)[1]!);
    },
    async succeeded(email) {
      await kv.delete(`login-fail:acct:${email}`);
    },
  };
}
