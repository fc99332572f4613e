import { describe, expect, it } from 'vitest';
import { createBoundaryFinder, type PartLayout } from './record-boundaries.js';

/** Cuts `text` fed in `size`-byte chunks the way the CLI does; returns the parts. */
function parts(layout: PartLayout, text: string, size: number): string[] {
  const finder = createBoundaryFinder(layout);
  const bytes = Buffer.from(text);
  const out: string[] = [];
  let carry = Buffer.alloc(0);
  for (let i = 0; i < bytes.length; i += size) {
    const chunk = bytes.subarray(i, i + size);
    const cut = finder.scan(chunk);
    const buffer = Buffer.concat([carry, chunk]);
    if (cut === -1) {
      carry = buffer;
      continue;
    }
    out.push(buffer.subarray(0, carry.length + cut).toString());
    carry = buffer.subarray(carry.length + cut);
  }
  if (carry.length > 0) out.push(carry.toString());
  return out;
}

describe('createBoundaryFinder', () => {
  it('cuts JSON lines after any newline', () => {
    expect(parts('lines', '{"a":1}\n{"b":2}\n', 10)).toEqual(['{"a":1}\n', '{"b":2}\n']);
  });

  it('cuts pretty-printed JSON only between documents, whatever newlines strings or nesting hold', () => {
    const doc = JSON.stringify({ a: ['x\\n}', { b: 1 }] }, null, 2);
    const text = `${doc}\n${doc}\n`;
    const cut = parts('json-documents', text, 5);
    expect(cut.join('')).toBe(text);
    for (const part of cut) expect(() => JSON.parse(part)).not.toThrow();
  });

  it('cuts Claude Code logs only after a user line, keeping the lines of one response together', () => {
    const user = (i: number) => JSON.stringify({ type: 'user', uuid: `u${i}`, message: { content: 'say "type":"user"' } });
    const assistant = (i: number, out: number) => JSON.stringify({ type: 'assistant', message: { id: `msg_${i}`, usage: { output_tokens: out } } });
    const text = [user(1), assistant(1, 1), assistant(1, 9), user(2), assistant(2, 1), assistant(2, 7)].join('\n') + '\n';
    expect(parts('claude-code', text, 16).map((part) => part.trim().split('\n').length)).toEqual([1, 3, 2]);
    for (const size of [1, 3, 7, 40, 10_000]) {
      const cut = parts('claude-code', text, size);
      expect(cut.join('')).toBe(text);
      for (const part of cut.slice(0, -1)) expect(JSON.parse(part.trim().split('\n').at(-1)!)).toMatchObject({ type: 'user' });
    }
  });

  it('cuts CSV only outside quoted cells', () => {
    const text = 'a,b\n1,"x\ny"\n2,"say ""hi""\n!"\n';
    const cut = parts('csv', text, 3);
    expect(cut.join('')).toBe(text);
    expect(cut).toEqual(['a,b\n', '1,"x\ny"\n', '2,"say ""hi""\n!"\n']);
  });

  it('cuts Codex rollouts only before a session_meta line, so a session stays in one part', () => {
    const session = (id: string) => [
      `{"timestamp":"2026-11-21T08:00:00.112Z","type":"session_meta","payload":{"id":"${id}","cli_version":"0.63.0"}}`,
      '{"timestamp":"2026-11-21T08:00:00.201Z","type":"turn_context","payload":{"model":"gpt-5"}}',
      '{"timestamp":"2026-11-21T08:00:04.210Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":10}}}}',
    ].join('\n') + '\n';
    const text = session('a') + session('b') + session('c');
    for (const size of [7, 64, 100, 1000]) {
      const cut = parts('codex', text, size);
      expect(cut.join('')).toBe(text);
      for (const part of cut) expect(part.startsWith('{"timestamp":"2026-11-21T08:00:00.112Z","type":"session_meta"'), `${size}: ${part.slice(0, 40)}`).toBe(true);
      // A session_meta line cut by a chunk's end is no cut there: the part grows instead.
      if (size >= 1000) expect(cut.length).toBeGreaterThan(1);
    }
  });
});
