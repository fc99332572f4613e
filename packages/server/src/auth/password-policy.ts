import fs from 'node:fs';
import { MIN_PASSWORD_LENGTH } from '@tally/protocol';
import { AppError } from '../app-error.js';

export interface PasswordPolicy {
  /** Throws AUTH_WEAK_PASSWORD with the reason when a password is too short or too common. */
  assertAcceptable(password: string, email: string): void;
}

/**
 * Length, plus a check against the most common passwords of at least the minimum length (the
 * list ships with the code, from @zxcvbn-ts/language-common, MIT), and against the email itself.
 */
export function createPasswordPolicy(listFile = new URL('./common-passwords.txt', import.meta.url)): PasswordPolicy {
  const common = new Set(
    fs
      .readFileSync(listFile, 'utf8')
      .split('\n')
      .map((line) => line.trim().toLowerCase())
      .filter(Boolean),
  );
  return {
    assertAcceptable(password, email) {
      if (password.length < MIN_PASSWORD_LENGTH) {
        throw new AppError('AUTH_WEAK_PASSWORD', `The password must have at least ${MIN_PASSWORD_LENGTH} characters.`);
      }
      const lower = password.toLowerCase();
      if (common.has(lower)) throw new AppError('AUTH_WEAK_PASSWORD', 'This password is one of the most common ones; choose another.');
      const local = email.split('@')[0]?.toLowerCase() ?? '';
      if (local.length >= 4 && lower.includes(local)) throw new AppError('AUTH_WEAK_PASSWORD', 'The password must not contain your email name.');
    },
  };
}
