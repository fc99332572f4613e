import { ERROR_CODES, PROTOCOL_VERSION, type AckFrame, type ErrorCode, type ErrorFrame } from '@tally/protocol';

export function ackFrame(id: string, data: Record<string, unknown>): string {
  const frame: AckFrame = { v: PROTOCOL_VERSION, type: 'ack', id, data };
  return JSON.stringify(frame);
}

export function errorFrame(id: string | null, code: ErrorCode, message: string = ERROR_CODES[code].message): string {
  const frame: ErrorFrame = { v: PROTOCOL_VERSION, type: 'error', id, code, message };
  return JSON.stringify(frame);
}
