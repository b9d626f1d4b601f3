/**
 * Work to run once the current turn of the event loop has run its I/O callbacks and their promise
 * continuations (the calls to batch, the socket writes to coalesce), before the loop waits for I/O
 * again. One immediate per turn runs it, in the order it was asked for.
 *
 * Work asked for while that immediate runs joins it: a batch flushed there writes to a corked socket
 * whose uncork is asked for then, and the uncork runs right after, in this turn. A setImmediate of
 * its own, made from inside an immediate, would wait for the next loop iteration, past a whole
 * round of I/O callbacks: the command would sit in the socket's buffer meanwhile.
 */
const work: (() => void)[] = [];
let scheduled = false;

export function atTurnEnd(fn: () => void): void {
  work.push(fn);
  if (!scheduled) {
    scheduled = true;
    setImmediate(runTurnEnd);
  }
}

function runTurnEnd(): void {
  let failure: { error: unknown } | undefined;
  // By index: what runs may ask for more (`work` grows meanwhile).
  for (let i = 0; i < work.length; i++) {
    try {
      work[i]?.();
    } catch (error) {
      // The rest still runs (a batch left unsent would leave its callers waiting); the first error
      // is thrown after, as an immediate of its own would have thrown it.
      failure ??= { error };
    }
  }
  work.length = 0;
  scheduled = false;
  if (failure) throw failure.error;
}
