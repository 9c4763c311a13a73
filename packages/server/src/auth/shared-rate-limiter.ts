// Rate limits that every Earshot process on one database shares: a token bucket per key,
// kept in `rate_limit_buckets` and spent with one atomic upsert. Used where the limit guards
// an account rather than a process (sign-in attempts per username, password changes per
// user): with per-process buckets, each server added would give a password guesser as many
// more attempts. The per-process RateLimiter stays for request rates and for the overall
// ceiling on password hashing, which are about this process's own CPU.
import { EarshotError } from '@earshot/protocol';
import { lt, sql } from 'drizzle-orm';
import type { Db } from '../store/database.ts';
import { query } from '../store/rows.ts';
import { rateLimitBuckets } from '../store/schema.ts';
import { sha256Hex } from './passwords.ts';

export class SharedRateLimiter {
  constructor(
    private readonly db: Db,
    /** Tokens added per second; 0 turns the limit off. */
    private readonly perSecond: number,
    /** Tokens a bucket holds at most (the burst). */
    private readonly burst: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Takes one token for `key`, or throws a 429 saying when the next one is due. */
  async take(key: string): Promise<void> {
    if (this.perSecond <= 0) return; // limits off
    const now = this.clock();
    const b = rateLimitBuckets;
    // What the bucket holds now: what it held, refilled for the time since, at most full.
    const available = sql`least(${this.burst}::float8, ${b.tokens} + (${now}::float8 - ${b.updatedAt}) / 1000 * ${this.perSecond}::float8)`;
    // A database that cannot answer is a 503, as for the sign-in itself.
    const [row] = await query(() =>
      this.db
        .insert(b)
        .values({ keyHash: sha256Hex(key), tokens: this.burst - 1, granted: true, updatedAt: now })
        .onConflictDoUpdate({
          target: b.keyHash,
          set: {
            granted: sql`${available} >= 1`,
            tokens: sql`case when ${available} >= 1 then ${available} - 1 else ${available} end`,
            updatedAt: sql`${now}::float8`,
          },
        })
        .returning({ tokens: b.tokens, granted: b.granted }),
    );
    if (row?.granted) return;
    const retryAfter = Math.max(1, Math.ceil((1 - (row?.tokens ?? 0)) / this.perSecond));
    throw new EarshotError('rate_limited', 'Too many attempts; wait before trying again', {
      retryAfter,
    });
  }

  /** Deletes the buckets that have filled up again: they carry no information. */
  async deleteFull(): Promise<number> {
    if (this.perSecond <= 0) return 0;
    const fullAfterMs = (this.burst / this.perSecond) * 1000;
    const deleted = await query(() =>
      this.db
        .delete(rateLimitBuckets)
        .where(lt(rateLimitBuckets.updatedAt, this.clock() - fullAfterMs))
        .returning({ keyHash: rateLimitBuckets.keyHash }),
    );
    return deleted.length;
  }
}
