// Per-key request rate limits: a token bucket per principal (refilled at `perSecond`, holding
// at most `burst`). A request without a token is answered 429 with Retry-After, so a runaway
// client slows itself down instead of starving everyone else.
import { EarshotError } from '@earshot/protocol';

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Takes one token for `key`, or throws a 429 saying when the next one is due. */
  take(key: string): void {
    if (this.perSecond <= 0) return; // limits off
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(
      this.burst,
      bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond,
    );
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
      throw new EarshotError('rate_limited', 'Too many requests for this key; slow down', {
        retryAfter,
      });
    }
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    // Full buckets carry no information; forget them so idle keys cost nothing.
    if (this.buckets.size > 10_000) {
      for (const [k, b] of this.buckets)
        if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(k);
    }
  }
}
