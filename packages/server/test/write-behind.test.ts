// The write-behind queue on its own: group commit, and a large backlog committed in bounded
// transactions, whole caller groups at a time, in order; its counters for /metrics.
import type { Mutation } from '@earshot/engine';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { WriteBehind } from '../src/jobs/write-behind.ts';

function rows(from: number, count: number): Mutation[] {
  return Array.from(
    { length: count },
    (_, i) => ({ table: 'liveCalls', doc: { _id: String(from + i) } }) as unknown as Mutation,
  );
}

describe('write-behind', () => {
  it('commits a backlog in transactions of at most maxCommitRows, keeping groups whole', async () => {
    const commits: string[][] = [];
    const writer = new WriteBehind({
      logger: pino({ level: 'silent' }),
      flushIntervalMs: 5,
      maxCommitRows: 100,
      commit: async (mutations) => {
        commits.push(mutations.map((m) => String((m.doc as { _id: string })._id)));
      },
    });
    writer.start();
    const done: number[] = [];
    const writes = [60, 30, 30, 250, 10].map((count, index, all) => {
      const from = all.slice(0, index).reduce((a, b) => a + b, 0);
      return writer.write(rows(from, count)).then(() => done.push(index));
    });
    expect(writer.backlog).toBe(380);
    await Promise.all(writes);
    // 60+30 fit; 30 starts the next; 250 is one group larger than the cap and goes alone.
    expect(commits.map((c) => c.length)).toEqual([90, 30, 250, 10]);
    expect(commits.flat()).toEqual(Array.from({ length: 380 }, (_, i) => String(i)));
    expect(done).toEqual([0, 1, 2, 3, 4]);
    expect(writer.backlog).toBe(0);
    expect(writer.stats).toMatchObject({ commits: 4, mutationsCommitted: 380, failedCommits: 0 });
    await writer.drain();
  });

  it('counts failed commits and the time spent, and a retried batch once it lands', async () => {
    let down = true;
    const writer = new WriteBehind({
      logger: pino({ level: 'silent' }),
      flushIntervalMs: 1,
      retryMinMs: 1,
      commit: async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
    });
    writer.start();
    await expect(writer.write(rows(0, 3))).rejects.toMatchObject({ kind: 'unavailable' });
    expect(writer.stats).toMatchObject({ commits: 0, failedCommits: 1, mutationsCommitted: 0 });
    down = false;
    await writer.write(rows(3, 2));
    // The held batch and the new one land together.
    expect(writer.stats).toMatchObject({ commits: 1, failedCommits: 1, mutationsCommitted: 5 });
    expect(writer.stats.commitSeconds).toBeGreaterThanOrEqual(0.008);
    await writer.drain();
  });
});
