// The write-behind queue on its own: group commit, and a large backlog committed in bounded
// transactions, whole caller groups at a time, in order.
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
    await writer.drain();
  });
});
