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
  take(key: string, message = 'Too many requests for this key; slow down'): void {
    const retryAfter = this.wait(key);
    if (retryAfter > 0) throw new EarshotError('rate_limited', message, { retryAfter });
    this.spend(key);
  }

  /** Seconds until `key` has a token: 0 when it has one now. Takes nothing. */
  wait(key: string): number {
    if (this.perSecond <= 0) return 0; // limits off
    const bucket = this.refilled(key);
    return bucket.tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
  }

  /** Takes a token for `key` if it has one; counts what already happened, so never throws. */
  spend(key: string): void {
    if (this.perSecond <= 0) return;
    const bucket = this.refilled(key);
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.buckets.set(key, bucket);
    // Full buckets carry no information; forget them so idle keys cost nothing.
    if (this.buckets.size > 10_000) {
      const now = this.clock();
      for (const [k, b] of this.buckets)
        if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(k);
    }
  }

  private refilled(key: string): Bucket {
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(
      this.burst,
      bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond,
    );
    bucket.at = now;
    return bucket;
  }
}
