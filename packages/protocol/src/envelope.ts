import { z } from 'zod';

/** The protocol version every frame carries in `v`. */
export const PROTOCOL_VERSION = 1 as const;

/** The WebSocket subprotocol a client offers; the bearer token rides as a second one. */
export const WS_SUBPROTOCOL = 'tally.v1';
export const WS_BEARER_PREFIX = 'bearer.';
export const WS_PATH = '/v1/ws';

/** Largest client frame the server accepts, in bytes; a larger one gets a policy close. */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;

/** A client command id: chosen by the client, echoed in the ack, the key of idempotency. */
export const ClientIdSchema = z.string().min(1).max(128);

/** The outer shape of every client frame, checked before the command itself. */
export const ClientEnvelopeSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  id: ClientIdSchema,
  type: z.string().min(1).max(64),
  data: z.unknown().optional(),
});
export type ClientEnvelope = z.infer<typeof ClientEnvelopeSchema>;
