/**
 * Text that arrives together leaves together: pieces of a streamed answer that the source yields
 * within one turn of the event loop (one socket read of the provider's SSE, typically) are joined
 * into one piece. A provider that is faster than the node (a burst of tokens after a stall, a
 * cached answer, a local model) then costs one run event, one log row and one frame per turn
 * instead of one per token; a paced stream, one token per read, passes through piece by piece,
 * one turn later at most. The text is exactly the source's, in order.
 *
 * A joined piece stops growing at `maxChars`.
 * `endOfTurn` resolves once the current turn is over (setImmediate: after the I/O callbacks and
 * microtasks already queued); tests may pass their own.
 */
export async function* coalesceTextStream(
  source: AsyncIterable<string>,
  endOfTurn: () => Promise<void> = nextTurn,
  maxChars = MAX_COALESCED_CHARS,
): AsyncGenerator<string> {
  const iterator = source[Symbol.asyncIterator]();
  // A next() asked for in one turn and not settled by its end: the first read of the next piece.
  let pending: Promise<IteratorResult<string>> | null = null;
  let finished = false;
  try {
    while (true) {
      const first = await (pending ?? iterator.next());
      pending = null;
      if (first.done) {
        finished = true;
        return;
      }
      let text = first.value;
      let turnOver = false;
      const turn = endOfTurn().then(() => {
        turnOver = true;
      });
      let failure: { error: unknown } | null = null;
      while (!turnOver && text.length < maxChars) {
        const read = iterator.next();
        let outcome: IteratorResult<string> | typeof TURN_OVER;
        try {
          outcome = await Promise.race([read, turn.then((): typeof TURN_OVER => TURN_OVER)]);
        } catch (error) {
          // What arrived before the failure still goes out first, as it would have uncoalesced.
          failure = { error };
          break;
        }
        if (outcome === TURN_OVER) {
          pending = read;
          // Settled while nobody waits (the consumer may stop pulling): never an unhandled rejection.
          read.catch(() => undefined);
          break;
        }
        if (outcome.done) {
          finished = true;
          break;
        }
        text += outcome.value;
      }
      if (text !== '') yield text;
      if (failure) throw failure.error;
      if (finished) return;
    }
  } finally {
    // A consumer that stops early (a stopped run) stops the source too; with a read still
    // outstanding the source's return waits for that read, and the consumer need not.
    if (!finished) {
      const stopped = iterator.return?.().catch(() => undefined);
      if (!pending) await stopped;
    }
  }
}

const TURN_OVER = Symbol('turn over');

/** A joined piece goes out once it is this long: a burst never makes one huge frame. */
export const MAX_COALESCED_CHARS = 16 * 1024;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
