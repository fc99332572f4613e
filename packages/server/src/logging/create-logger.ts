import pino, { type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

/**
 * Paths pino blanks in any log line, whatever code logged them: credentials must never reach a
 * log even when an object carrying them is logged whole by mistake.
 */
export const REDACTED_PATHS = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'refreshToken',
  'ticket',
  'apiKey',
  'secret',
  'cookie',
  'authorization',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.ticket',
  '*.apiKey',
  '*.secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

/**
 * The node's logger: JSON lines for log collectors, or readable lines when stdout is a terminal
 * (pino-pretty in the same thread: a person is watching, so speed matters less than reading).
 */
export function createLogger(options: { level: string; pretty?: boolean; destination?: NodeJS.WritableStream }): Logger {
  const pretty = options.pretty ?? Boolean(process.stdout.isTTY);
  const base = { level: options.level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  if (pretty) return pino(base, pinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: options.destination ?? 1 }));
  return options.destination ? pino(base, options.destination) : pino(base);
}
