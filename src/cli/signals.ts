/**
 * Signals for the commands that handle them themselves instead of main's handler (which exits 130,
 * "interrupted"): those that run until Ctrl-C (`fapi lab up`, `fapi lab logs -f`) and then stop
 * cleanly with exit 0, and the long runs that clean up before they exit (`fapi conform`).
 */

/** Resolves with the first of `signals` received; later ones get Node's default behaviour. */
export function nextSignal(signals: readonly NodeJS.Signals[]): Promise<NodeJS.Signals> {
  for (const s of signals) for (const l of process.listeners(s)) process.removeListener(s, l);
  return new Promise((resolve) => {
    const handlers = signals.map((s) => {
      const h = () => {
        for (const [i, other] of signals.entries()) process.removeListener(other, handlers[i]!);
        resolve(s);
      };
      process.once(s, h);
      return h;
    });
  });
}

/**
 * Ctrl-C in two stages for a run that cleans up after itself: the first SIGINT prints
 * "interrupted: <cleaning> (Ctrl-C again to quit at once)" on stderr and aborts `signal` (the run
 * stops, cleans up and ends with E_INTERRUPTED), a second one exits 130 at once. main's handlers
 * are set aside until `restore()`.
 */
export function twoStageInterrupt(cleaning: string): { signal: AbortSignal; restore(): void } {
  const abort = new AbortController();
  const previous = process.listeners('SIGINT');
  for (const l of previous) process.removeListener('SIGINT', l);
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write(`\ninterrupted: ${cleaning} (Ctrl-C again to quit at once)\n`);
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  return {
    signal: abort.signal,
    restore() {
      process.removeListener('SIGINT', onSigint);
      for (const l of previous) process.on('SIGINT', l);
    },
  };
}
