/**
 * For commands that run until Ctrl-C (`fapi lab up`, `fapi lab logs -f`) and then stop cleanly
 * with exit 0: they take the signals over from main's handler, which exits 130 ("interrupted").
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
