/**
 * A token bucket per connection: `burst` messages at once, then `ratePerS` sustained. Time is
 * the process's monotonic clock — a rate limit is about this process's load, not the session
 * clock, so it is the one place the database clock is not used. Two numbers per connection:
 * the rate and the burst are the caller's (one setting for all), not copied into each bucket.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(burst: number, now = performance.now()) {
    this.tokens = burst;
    this.last = now;
  }

  take(ratePerS: number, burst: number, now = performance.now()): boolean {
    this.tokens = Math.min(burst, this.tokens + ((now - this.last) / 1000) * ratePerS);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
