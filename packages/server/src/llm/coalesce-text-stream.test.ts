import { describe, expect, it } from 'vitest';
import { coalesceTextStream } from './coalesce-text-stream.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function collect(stream: AsyncIterable<string>): Promise<string[]> {
  const pieces: string[] = [];
  for await (const piece of stream) pieces.push(piece);
  return pieces;
}

describe('coalesceTextStream', () => {
  it('sends the first piece of a burst at once and joins the rest of its turn', async () => {
    async function* burst() {
      for (const piece of ['a', 'b', 'c', 'd']) yield piece;
    }
    expect(await collect(coalesceTextStream(burst()))).toEqual(['a', 'bcd']);
  });

  it('does not hold a burst\'s first piece until the turn ends', async () => {
    let turnEnded = false;
    let releaseTurn = () => {};
    const endOfTurn = () =>
      new Promise<void>((resolve) => {
        releaseTurn = () => {
          turnEnded = true;
          resolve();
        };
      });
    async function* source() {
      yield 'first';
      await new Promise(() => {}); // the provider goes quiet
    }
    const stream = coalesceTextStream(source(), endOfTurn);
    const first = await stream.next();
    expect(first).toEqual({ value: 'first', done: false });
    expect(turnEnded).toBe(false);
    releaseTurn();
  });

  it('starts a new piece once the joined one is maxChars long', async () => {
    async function* burst() {
      for (let i = 0; i < 10; i++) yield 'abcd';
    }
    const out = await collect(coalesceTextStream(burst(), undefined, 10));
    expect(out.join('')).toBe('abcd'.repeat(10));
    expect(out.every((piece) => piece.length <= 12)).toBe(true);
    expect(out.length).toBeGreaterThan(3);
  });

  it('passes paced pieces through one by one, in order', async () => {
    async function* paced() {
      for (const piece of ['one ', 'two ', 'three']) {
        await sleep(5);
        yield piece;
      }
    }
    expect(await collect(coalesceTextStream(paced()))).toEqual(['one ', 'two ', 'three']);
  });

  it('keeps the exact text of a stream that mixes bursts and pauses', async () => {
    const pieces = Array.from({ length: 200 }, (_, i) => `w${i} `);
    async function* mixed() {
      for (const [i, piece] of pieces.entries()) {
        if (i % 17 === 0) await sleep(1);
        else if (i % 5 === 0) await tick();
        yield piece;
      }
    }
    const out = await collect(coalesceTextStream(mixed()));
    expect(out.join('')).toBe(pieces.join(''));
    expect(out.length).toBeLessThan(pieces.length);
    expect(out.length).toBeGreaterThan(1);
  });

  it('sends what arrived before a failure, then the failure', async () => {
    async function* failing() {
      yield 'partial ';
      yield 'answer';
      throw new Error('provider went away');
    }
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const piece of coalesceTextStream(failing())) seen.push(piece);
      })(),
    ).rejects.toThrow('provider went away');
    expect(seen.join('')).toBe('partial answer');
  });

  it('stops the source when the consumer stops', async () => {
    let cleanedUp = false;
    async function* endless() {
      try {
        for (let i = 0; ; i++) {
          await sleep(2);
          yield `${i} `;
        }
      } finally {
        cleanedUp = true;
      }
    }
    for await (const piece of coalesceTextStream(endless())) {
      if (piece.startsWith('2')) break;
    }
    await sleep(20);
    expect(cleanedUp).toBe(true);
  });

  it('skips empty pieces and yields nothing for an empty stream', async () => {
    async function* empty() {
      yield '';
    }
    expect(await collect(coalesceTextStream(empty()))).toEqual([]);
  });
});
