/**
 * Where a file may be cut into parts that each hold whole records: after any newline for JSON
 * lines; after a newline outside every bracket and string for pretty-printed JSON; after a newline
 * outside quotes for CSV (a quoted cell may hold newlines); for Claude Code logs, only after a
 * `user` line, so the repeated lines of one response (merged within one upload) stay together;
 * for Codex rollouts, only before a `session_meta` line, so a session's cumulative counts (whose
 * differences are the records) are read in one upload.
 */
export type PartLayout = 'lines' | 'json-documents' | 'csv' | 'claude-code' | 'codex';

/** Scans a file chunk by chunk, in order, keeping the state across chunks. */
export interface BoundaryFinder {
  /** The offset just past the last safe newline in this chunk, or -1 when there is none. */
  scan(chunk: Uint8Array): number;
}

const LF = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Claude Code writes compact JSON; inside a string the quotes would be escaped. */
const USER_LINE = Buffer.from('"type":"user"');
/** Codex writes `{"timestamp":"…","type":"session_meta",…`: the type within a line's first bytes. */
const SESSION_META = Buffer.from('"type":"session_meta"');
const SESSION_META_WITHIN = 96;

export function createBoundaryFinder(layout: PartLayout): BoundaryFinder {
  switch (layout) {
    case 'lines':
      return { scan: (chunk) => lastNewline(chunk) };
    case 'claude-code': {
      // Whether the line being read is a user line, and its last bytes, for a line (or the
      // pattern itself) split across chunks.
      let userLine = false;
      let tail = Buffer.alloc(0);
      return {
        scan(chunk) {
          const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          let cut = -1;
          for (let start = 0; ; ) {
            const nl = bytes.indexOf(LF, start);
            const segment = bytes.subarray(start, nl === -1 ? bytes.length : nl);
            if (!userLine) {
              const joined = start === 0 && tail.length > 0 ? Buffer.concat([tail, segment.subarray(0, USER_LINE.length - 1)]) : undefined;
              userLine = segment.includes(USER_LINE) || (joined?.includes(USER_LINE) ?? false);
            }
            if (nl === -1) {
              const line = start === 0 ? Buffer.concat([tail, segment]) : segment;
              tail = Buffer.from(line.subarray(Math.max(0, line.length - (USER_LINE.length - 1))));
              return cut;
            }
            if (userLine) cut = nl + 1;
            userLine = false;
            tail = Buffer.alloc(0);
            start = nl + 1;
          }
        },
      };
    }
    case 'codex': {
      // Whether the last chunk ended with a newline (a line starts at this chunk's offset 0), and
      // whether anything came before (the file's first line is no place to cut).
      let lineStartsHere = false;
      let seen = false;
      return {
        scan(chunk) {
          const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          let cut = -1;
          let start = lineStartsHere ? 0 : -1;
          if (start === -1) {
            const nl = bytes.indexOf(LF);
            start = nl === -1 ? bytes.length : nl + 1;
          }
          while (start < bytes.length) {
            const nl = bytes.indexOf(LF, start);
            const window = bytes.subarray(start, Math.min(nl === -1 ? bytes.length : nl, start + SESSION_META_WITHIN));
            // A line whose start this chunk cannot show whole enough is just not a cut: parts grow.
            if ((seen || start > 0) && window.includes(SESSION_META)) cut = start;
            if (nl === -1) break;
            start = nl + 1;
          }
          lineStartsHere = bytes.length > 0 && bytes[bytes.length - 1] === LF;
          if (bytes.length > 0) seen = true;
          return cut;
        },
      };
    }
    case 'csv': {
      let quoted = false;
      return {
        scan(chunk) {
          let cut = -1;
          for (let i = 0; i < chunk.length; i++) {
            const c = chunk[i];
            // A doubled quote inside a quoted cell toggles twice: no net change.
            if (c === QUOTE) quoted = !quoted;
            else if (c === LF && !quoted) cut = i + 1;
          }
          return cut;
        },
      };
    }
    case 'json-documents': {
      let depth = 0;
      let inString = false;
      let escape = false;
      return {
        scan(chunk) {
          let cut = -1;
          for (let i = 0; i < chunk.length; i++) {
            const c = chunk[i];
            if (inString) {
              if (escape) escape = false;
              else if (c === BACKSLASH) escape = true;
              else if (c === QUOTE) inString = false;
            } else if (c === QUOTE) inString = true;
            else if (c === 0x7b || c === 0x5b) depth++;
            else if (c === 0x7d || c === 0x5d) depth = Math.max(0, depth - 1);
            else if (c === LF && depth === 0) cut = i + 1;
          }
          return cut;
        },
      };
    }
    default: {
      const never: never = layout;
      throw new Error(`unknown layout ${String(never)}`);
    }
  }
}

function lastNewline(chunk: Uint8Array): number {
  const i = chunk.lastIndexOf(LF);
  return i === -1 ? -1 : i + 1;
}
