// The rate limits every process on a database shares (sign-in attempts): a token bucket per
// key in the database, spent atomically, refilled by the clock, and deleted once full again.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EarshotError } from '@earshot/protocol';
import { SharedRateLimiter } from '../src/auth/shared-rate-limiter.ts';
import { openDatabase } from '../src/store/database.ts';
import { rateLimitBuckets } from '../src/store/schema.ts';
import { describeEachDatabase } from './support/databases.ts';

const sha = (key: string) => createHash('sha256').update(key).digest('hex');

describeEachDatabase('shared rate limiter', (store) => {
  it('spends a burst, refuses with the wait until the next token, and refills by the clock', async () => {
    const clock = { now: 1_000_000 };
    // 3 a minute: one token every 20 s.
    const limiter = new SharedRateLimiter(store().database.db, 3 / 60, 3, () => clock.now);
    for (let i = 0; i < 3; i++) await limiter.take('sign-in:ana');
    const refused = await limiter.take('sign-in:ana').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(EarshotError);
    expect((refused as EarshotError).kind).toBe('rate_limited');
    expect((refused as EarshotError).retryAfter).toBe(20);
    // A refusal spends nothing: 10 s later the next token is 10 s away.
    clock.now += 10_000;
    const again = await limiter.take('sign-in:ana').catch((error: unknown) => error);
    expect((again as EarshotError).retryAfter).toBe(10);
    clock.now += 10_000;
    await limiter.take('sign-in:ana');
    // Others are not held back.
    await limiter.take('sign-in:bo');
  });

  it('takes exactly the burst when many attempts arrive at once', async () => {
    const limiter = new SharedRateLimiter(store().database.db, 5 / 60, 5, () => 2_000_000);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, () => limiter.take('sign-in:rush')),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(5);
  });

  it('deletes the buckets that have filled up again, and only those', async () => {
    const clock = { now: 3_000_000 };
    const limiter = new SharedRateLimiter(store().database.db, 6 / 60, 6, () => clock.now);
    await limiter.take('sign-in:old');
    clock.now += 30_000;
    await limiter.take('sign-in:recent');
    // 6 tokens at one per 10 s: a bucket is full 60 s after its last use.
    clock.now += 31_000;
    const hashes = async () =>
      (await store().database.db.select().from(rateLimitBuckets)).map((row) => row.keyHash);
    expect(await hashes()).toEqual(
      expect.arrayContaining([sha('sign-in:old'), sha('sign-in:recent')]),
    );
    expect(await limiter.deleteFull()).toBeGreaterThanOrEqual(1);
    const left = await hashes();
    expect(left).not.toContain(sha('sign-in:old'));
    expect(left).toContain(sha('sign-in:recent'));
  });
});

describe('shared rate limiter, without a database', () => {
  it('answers 503 when the database cannot be reached', async () => {
    const database = await openDatabase({
      kind: 'postgres',
      url: 'postgres://postgres@127.0.0.1:1/none',
    });
    try {
      const limiter = new SharedRateLimiter(database.db, 1, 1);
      const error = await limiter.take('sign-in:ana').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EarshotError);
      expect((error as EarshotError).kind).toBe('unavailable');
    } finally {
      await database.close();
    }
  });
});

describe('shared rate limiter, off', () => {
  it('never touches the database when the limit is 0', async () => {
    const db = new Proxy({}, { get: () => () => Promise.reject(new Error('touched')) });
    const limiter = new SharedRateLimiter(db as never, 0, 0);
    await limiter.take('sign-in:anyone');
    expect(await limiter.deleteFull()).toBe(0);
  });
});
