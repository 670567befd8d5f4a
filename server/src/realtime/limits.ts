/**
 * A token bucket per connection: `burst` messages at once, then `ratePerS` sustained. Time is
 * the process's monotonic clock — a rate limit is about this process's load, not the session
 * clock, so it is the one place the database clock is not used.
 */
export function tokenBucket(ratePerS: number, burst: number, now: () => number = () => performance.now()) {
  let tokens = burst;
  let last = now();
  return {
    take(): boolean {
      const t = now();
      tokens = Math.min(burst, tokens + ((t - last) / 1000) * ratePerS);
      last = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
