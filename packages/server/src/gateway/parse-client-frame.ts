import {
  COMMAND_DATA_SCHEMAS,
  ClientEnvelopeSchema,
  PROTOCOL_VERSION,
  isCommandType,
  UNSAFE_TEXT_MESSAGE,
  unsafeTextPath,
  type ClientCommand,
  type ErrorCode,
} from '@tally/protocol';

export type ParsedFrame =
  | { ok: true; command: ClientCommand }
  | { ok: false; id: string | null; code: ErrorCode; message: string };

/** Turns a text frame into a typed command, or into the typed error that answers it. */
export function parseClientFrame(text: string): ParsedFrame {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, id: null, code: 'FRAME_INVALID_JSON', message: 'The frame is not valid JSON.' };
  }
  const id = readableId(json);
  if (typeof json === 'object' && json !== null && 'v' in json && (json as { v: unknown }).v !== PROTOCOL_VERSION) {
    return { ok: false, id, code: 'FRAME_UNSUPPORTED_VERSION', message: `Unsupported protocol version; this server speaks v${PROTOCOL_VERSION}.` };
  }
  // The input rule (protocol safe-text.ts) over the whole frame: no field can carry a NUL byte or a lone surrogate.
  const unsafe = unsafeTextPath(json);
  if (unsafe !== null) return { ok: false, id, code: 'FRAME_INVALID', message: `${unsafe}: ${UNSAFE_TEXT_MESSAGE}` };
  const envelope = ClientEnvelopeSchema.safeParse(json);
  if (!envelope.success) {
    return { ok: false, id, code: 'FRAME_INVALID', message: describe(envelope.error.issues) };
  }
  const { type } = envelope.data;
  if (!isCommandType(type)) {
    return { ok: false, id, code: 'FRAME_UNKNOWN_TYPE', message: `Unknown command type "${type.slice(0, 64)}".` };
  }
  const data = COMMAND_DATA_SCHEMAS[type].safeParse(envelope.data.data ?? (type === 'ping' ? undefined : {}));
  if (!data.success) {
    return { ok: false, id, code: 'FRAME_INVALID', message: `Invalid ${type}: ${describe(data.error.issues)}` };
  }
  return { ok: true, command: { v: PROTOCOL_VERSION, id: envelope.data.id, type, data: data.data } as ClientCommand };
}

function readableId(json: unknown): string | null {
  if (typeof json !== 'object' || json === null) return null;
  const id = (json as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : null;
}

function describe(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  return issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}
