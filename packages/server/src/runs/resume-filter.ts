import type { RunEventDraft } from '@tally/protocol';
import { canonicalJson } from '../canonical-json.js';

/**
 * When a node takes over a run, the events its previous node already logged (the "tape") were
 * seen by clients and must not be sent again. Completed steps are restored from the checkpoint
 * and their events skipped; the interrupted step runs again, and each event it emits that the
 * tape already holds (same type and content, by agent) is suppressed, answer text included, down
 * to the part of a delta that is new. Once the re-run differs from the tape, everything is new.
 */
export interface ResumeFilter {
  /** Drops the tape's events of a step restored from the checkpoint. */
  skipStep(agent: string): void;
  /** The draft to emit (possibly a shorter delta), or null when the log already has it. */
  admit(draft: RunEventDraft): RunEventDraft | null;
  /** Answer text clients have: the tape's deltas, then the deltas admitted since. */
  readonly deliveredText: string;
  /** True when the re-run emitted something the tape did not have at that point. */
  readonly diverged: boolean;
}

type TapeItem = { kind: 'event'; draft: RunEventDraft } | { kind: 'text'; agent: string; text: string };

export function createResumeFilter(tapeEvents: ReadonlyArray<RunEventDraft>, onDiverge?: (draft: RunEventDraft, expected: unknown) => void): ResumeFilter {
  const tape = toTape(tapeEvents);
  let deliveredText = tapeEvents.map((e) => (e.type === 'message_delta' ? e.data.text : '')).join('');
  let diverged = false;

  function diverge(draft: RunEventDraft) {
    onDiverge?.(draft, tape[0]);
    diverged = true;
    tape.length = 0;
  }

  return {
    get deliveredText() {
      return deliveredText;
    },
    get diverged() {
      return diverged;
    },
    skipStep(agent) {
      const end = tape.findIndex((item) => item.kind === 'event' && item.draft.type === 'agent_completed' && item.draft.data.agent === agent);
      tape.splice(0, end + 1);
    },
    admit(draft) {
      const head = tape[0];
      if (!head) {
        if (draft.type === 'message_delta') deliveredText += draft.data.text;
        return draft;
      }
      if (draft.type === 'message_delta' && head.kind === 'text' && head.agent === draft.data.agent) {
        const text = draft.data.text;
        if (head.text.startsWith(text)) {
          head.text = head.text.slice(text.length);
          if (head.text === '') tape.shift();
          return null;
        }
        if (text.startsWith(head.text)) {
          const rest = text.slice(head.text.length);
          tape.shift();
          if (tape.length > 0) diverge(draft);
          deliveredText += rest;
          return { type: 'message_delta', data: { ...draft.data, text: rest } };
        }
      } else if (head.kind === 'event' && sameEvent(head.draft, draft)) {
        tape.shift();
        return null;
      }
      diverge(draft);
      if (draft.type === 'message_delta') deliveredText += draft.data.text;
      return draft;
    },
  };
}

function toTape(events: ReadonlyArray<RunEventDraft>): TapeItem[] {
  const tape: TapeItem[] = [];
  for (const event of events) {
    const last = tape.at(-1);
    if (event.type === 'message_delta') {
      if (last?.kind === 'text' && last.agent === event.data.agent) last.text += event.data.text;
      else tape.push({ kind: 'text', agent: event.data.agent, text: event.data.text });
    } else {
      tape.push({ kind: 'event', draft: event });
    }
  }
  return tape;
}

/** Same event, ignoring what differs between two runs of the same step: ids and timings. */
function sameEvent(a: RunEventDraft, b: RunEventDraft): boolean {
  if (a.type !== b.type) return false;
  const strip = (data: object) => {
    const { toolCallId: _id, durationMs: _ms, ...rest } = data as Record<string, unknown>;
    // The log's jsonb keeps keys in its own order: compare by content, not by key order.
    return canonicalJson(rest);
  };
  return strip(a.data) === strip(b.data);
}
