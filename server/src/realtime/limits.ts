/**
 * A token bucket per connection (D7): `burst` messages at once, then `ratePerS` sustained. Time
 * is the process's monotonic clock — a rate limit is about this process's load, not the session
 * clock, so it is the one place the database clock is not used.
 *
 * The state is two integers kept on the connection's own object (realtime/seat.ts), not an
 * object of its own: thousandths of a token, and whole milliseconds. Small integers are stored
 * in the object's fields as they are, where fractions would each be a boxed number — together
 * 56 bytes of a connection's memory (bench/realtime, docs/perf-log/). After 24.8 days of a
 * process's uptime the milliseconds no longer fit a small integer; V8 then boxes them, which
 * costs those bytes again and changes nothing else. The rate and the burst are the caller's
 * (one setting for all), not copied into each bucket.
 */
export interface Bucket {
  /** Thousandths of a token. */
  tokens: number;
  /** When it was last filled, in whole milliseconds of `bucketClock`. */
  last: number;
}

const MILLI = 1000;

export const bucketClock = () => Math.floor(performance.now());

/** A full bucket's tokens, in thousandths. */
export const fullTokens = (burst: number) => burst * MILLI;

/** Spends a token if there is one: false when over the limit. */
export function takeToken(
  b: Bucket,
  ratePerS: number,
  burst: number,
  now = bucketClock(),
): boolean {
  // `ratePerS` tokens a second is `ratePerS` thousandths a millisecond.
  const filled = b.tokens + (now - b.last) * ratePerS;
  b.tokens = Math.min(burst * MILLI, filled);
  b.last = now;
  if (b.tokens < MILLI) return false;
  b.tokens -= MILLI;
  return true;
}
