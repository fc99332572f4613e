import {
  AckFrameSchema,
  ErrorFrameSchema,
  RunEventSchema,
  ThreadAccessEndedFrameSchema,
  ThreadActivityFrameSchema,
  UsageChangedFrameSchema,
  WorkspaceAccessEndedFrameSchema,
  type AckFrame,
  type ErrorFrame,
  type RunEvent,
  type ThreadAccessEndedFrame,
  type ThreadActivityFrame,
  type UsageChangedFrame,
  type WorkspaceAccessEndedFrame,
} from '@tally/protocol';

/**
 * A server frame as the client sees it. A frame that names a run and a seq but does not match
 * the schema (a newer server's event type, say) is kept as `unreadable_event`, so its seq still
 * takes its place in the run's order and does not stall the events after it.
 */
export type ParsedServerFrame =
  | { kind: 'ack'; frame: AckFrame }
  | { kind: 'error'; frame: ErrorFrame }
  | { kind: 'event'; event: RunEvent }
  | { kind: 'activity'; frame: ThreadActivityFrame }
  | { kind: 'access_ended'; frame: WorkspaceAccessEndedFrame }
  | { kind: 'thread_access_ended'; frame: ThreadAccessEndedFrame }
  | { kind: 'usage_changed'; frame: UsageChangedFrame }
  | { kind: 'unreadable_event'; runId: string; seq: number; type: string; reason: string }
  | { kind: 'invalid'; reason: string };

export function parseServerFrame(text: string): ParsedServerFrame {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'frame is not JSON' };
  }
  if (typeof json !== 'object' || json === null) return { kind: 'invalid', reason: 'frame is not an object' };
  const type = (json as { type?: unknown }).type;
  if (type === 'ack') {
    const r = AckFrameSchema.safeParse(json);
    return r.success ? { kind: 'ack', frame: r.data } : { kind: 'invalid', reason: `bad ack: ${firstIssue(r.error)}` };
  }
  if (type === 'error') {
    const r = ErrorFrameSchema.safeParse(json);
    return r.success ? { kind: 'error', frame: r.data } : { kind: 'invalid', reason: `bad error: ${firstIssue(r.error)}` };
  }
  if (type === 'thread_activity') {
    const r = ThreadActivityFrameSchema.safeParse(json);
    return r.success ? { kind: 'activity', frame: r.data } : { kind: 'invalid', reason: `bad thread_activity: ${firstIssue(r.error)}` };
  }
  if (type === 'workspace_access_ended') {
    const r = WorkspaceAccessEndedFrameSchema.safeParse(json);
    return r.success ? { kind: 'access_ended', frame: r.data } : { kind: 'invalid', reason: `bad workspace_access_ended: ${firstIssue(r.error)}` };
  }
  if (type === 'thread_access_ended') {
    const r = ThreadAccessEndedFrameSchema.safeParse(json);
    return r.success ? { kind: 'thread_access_ended', frame: r.data } : { kind: 'invalid', reason: `bad thread_access_ended: ${firstIssue(r.error)}` };
  }
  if (type === 'usage_changed') {
    const r = UsageChangedFrameSchema.safeParse(json);
    return r.success ? { kind: 'usage_changed', frame: r.data } : { kind: 'invalid', reason: `bad usage_changed: ${firstIssue(r.error)}` };
  }
  const r = RunEventSchema.safeParse(json);
  if (r.success) return { kind: 'event', event: r.data };
  const { runId, seq } = json as { runId?: unknown; seq?: unknown };
  if (typeof runId === 'string' && typeof seq === 'number' && Number.isInteger(seq) && typeof type === 'string') {
    return { kind: 'unreadable_event', runId, seq, type, reason: `bad ${type} event: ${firstIssue(r.error)}` };
  }
  return { kind: 'invalid', reason: `unknown frame type ${JSON.stringify(type)}` };
}

function firstIssue(error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}` : 'invalid';
}

/** The text of a frame: a string in browsers and from `ws`, bytes from some other sockets. */
export function frameText(raw: unknown): string {
  if (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) {
    return new TextDecoder().decode(raw as ArrayBuffer | ArrayBufferView);
  }
  return String(raw);
}
