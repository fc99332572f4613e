/**
 * Text that arrives together leaves together: the first piece of a burst goes out at once, and
 * the pieces that follow it within the same turn of the event loop (the rest of one socket read
 * of the provider's SSE, typically) are joined into one piece at the turn's end. A provider that
 * is faster than the node (a burst of tokens after a stall, a cached answer, a local model) then
 * costs two run events, log rows and frames per turn instead of one per token; a paced stream, one
 * token per read, passes through piece by piece with nothing added to its latency (a burst's
 * first piece never waits for the turn to end: on a busy node that wait is the whole loop
 * iteration). The text is exactly the source's, in order; a joined piece stops growing at
 * `maxChars`.
 *
 * Used on the AI SDK's streams (ai-sdk-client.ts), which hand over their parts one by one; the
 * lean reader (openai-compatible-text-stream.ts) joins the texts of each socket read itself.
 *
 * `endOfTurn` resolves once the current turn is over (setImmediate: after the I/O callbacks and
 * microtasks already queued); tests may pass their own.
 */
export async function* coalesceTextStream(
  source: AsyncIterable<string>,
  endOfTurn: () => Promise<void> = nextTurn,
  maxChars = MAX_COALESCED_CHARS,
): AsyncGenerator<string> {
  const iterator = source[Symbol.asyncIterator]();
  // A next() asked for in one turn and not settled by its end: the first read of the next burst.
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
      if (first.value !== '') yield first.value;
      // What else this turn brings is joined, and sent when the turn ends.
      let text = '';
      let turnOver = false;
      const turn = endOfTurn().then((): typeof TURN_OVER => {
        turnOver = true;
        return TURN_OVER;
      });
      let failure: { error: unknown } | null = null;
      while (!turnOver && text.length < maxChars) {
        const read = iterator.next();
        let outcome: IteratorResult<string> | typeof TURN_OVER;
        try {
          outcome = await Promise.race([read, turn]);
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
