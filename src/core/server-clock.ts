/**
 * The server's clock as the client sees it (FAPI2-SP §5.3.3.1 Note 1, CL-23): the offset between
 * the local clock and the `Date` header of the server's responses (RFC 9110 §6.6.1), per origin,
 * applied to the `iat` of client assertions and DPoP proofs.
 */

/** Clock-skew corrections below this are within the Date header's resolution plus latency. */
export const CLOCK_SKEW_THRESHOLD_S = 5;

/**
 * The server's clock, learned from `Date` headers (RFC 9110 §6.6.1) per origin. The header has a
 * one-second resolution, so offsets under CLOCK_SKEW_THRESHOLD_S are ignored.
 */
export class ServerClock {
  private readonly offsets = new Map<string, number>();
  private last: number | undefined;
  constructor(
    private readonly localNow: () => number = Date.now,
    readonly enabled = true,
  ) {}

  /** Records the server's time from a response; returns the offset in seconds, if any. */
  learn(origin: string, date: string | undefined): number | undefined {
    if (!date) return undefined;
    const server = Date.parse(date);
    if (Number.isNaN(server)) return undefined;
    // The Date header is truncated to the second, so this errs by under a second towards the past,
    // the safe side (servers accept old iat far longer than future iat, FAPI2-SP §5.3.2.1-13).
    const offset = Math.round((server - this.localNow()) / 1000);
    this.offsets.set(origin, offset);
    this.last = offset;
    return offset;
  }

  /** Records an offset measured elsewhere (e.g. by discovery), in seconds. */
  setOffset(origin: string, offset: number): void {
    this.offsets.set(origin, offset);
    this.last = offset;
  }

  /** The measured offset (server − local, seconds) for an origin, else the last one measured. */
  measured(origin?: string): number | undefined {
    return (origin !== undefined ? this.offsets.get(origin) : undefined) ?? this.last;
  }

  /** The correction applied to timestamps sent to `origin` (0 when disabled or small). */
  applied(origin?: string): number {
    const m = this.measured(origin);
    if (!this.enabled || m === undefined || Math.abs(m) < CLOCK_SKEW_THRESHOLD_S) return 0;
    return m;
  }

  /** Epoch seconds as the server at `origin` sees it. */
  now(origin?: string): number {
    return Math.floor(this.localNow() / 1000) + this.applied(origin);
  }

  /** Local epoch seconds, uncorrected. */
  localSeconds(): number {
    return Math.floor(this.localNow() / 1000);
  }
}
