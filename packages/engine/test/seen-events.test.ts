// The accepted events' hashes by seq: answers exactly as a Map would, however seqs are numbered.
import { describe, expect, it } from 'vitest';
import { eventHash, SeenEvents } from '../src/index.ts';

function hashOf(seq: number): string {
  return eventHash({ type: 'audio', seq, agentGain: seq % 100, customerGain: 7 });
}

describe('SeenEvents', () => {
  it('gives back the hash accepted under each seq, and nothing for others', () => {
    const seen = new SeenEvents();
    for (let seq = 1; seq <= 10_000; seq++) seen.set(seq, hashOf(seq));
    expect(seen.size).toBe(10_000);
    for (const seq of [1, 2, 4096, 4097, 9_999, 10_000]) expect(seen.get(seq)).toBe(hashOf(seq));
    expect(seen.get(10_001)).toBeUndefined();
    expect(seen.get(0)).toBeUndefined();
    expect(seen.has(10_000)).toBe(true);
    expect(seen.has(10_001)).toBe(false);
  });

  it('keeps hashes of any shape: all zeros, leading zeros, and not 16 hex digits', () => {
    const seen = new SeenEvents();
    seen.set(1, '0000000000000000');
    seen.set(2, '00000000000000ff');
    seen.set(3, 'ff00000000000000');
    seen.set(4, 'start-hash-of-another-shape');
    seen.set(5, 'ABCDEF0123456789'); // upper case: kept as given
    expect([1, 2, 3, 4, 5].map((seq) => seen.get(seq))).toEqual([
      '0000000000000000',
      '00000000000000ff',
      'ff00000000000000',
      'start-hash-of-another-shape',
      'ABCDEF0123456789',
    ]);
    expect(seen.size).toBe(5);
    // Replacing a hash under a seq keeps one entry, whichever storage each lands in.
    seen.set(4, hashOf(4));
    seen.set(1, 'not hex');
    expect(seen.get(4)).toBe(hashOf(4));
    expect(seen.get(1)).toBe('not hex');
    expect(seen.size).toBe(5);
  });

  it('answers as a Map does for sparse seqs (timestamps) and arbitrary order', () => {
    const seen = new SeenEvents();
    const map = new Map<number, string>();
    let x = 12345;
    const random = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const seqs = [
      ...Array.from({ length: 3000 }, () => 1 + Math.floor(random() * 20_000)),
      ...Array.from({ length: 200 }, (_, i) => 1_732_000_000_000 + i * 97), // timestamps
      Number.MAX_SAFE_INTEGER,
    ];
    for (const seq of seqs) {
      seen.set(seq, hashOf(seq));
      map.set(seq, hashOf(seq));
    }
    expect(seen.size).toBe(map.size);
    for (const [seq, hash] of map) expect(seen.get(seq)).toBe(hash);
    for (let probe = 0; probe < 2000; probe++) {
      const seq = 1 + Math.floor(random() * 40_000);
      expect(seen.get(seq)).toBe(map.get(seq));
    }
  });

  it('clones independently', () => {
    const seen = new SeenEvents().set(1, hashOf(1)).set(1_700_000_000_000, 'x');
    const copy = seen.clone();
    copy.set(2, hashOf(2));
    seen.set(3, hashOf(3));
    expect([copy.get(1), copy.get(2), copy.get(3), copy.get(1_700_000_000_000)]).toEqual([
      hashOf(1),
      hashOf(2),
      undefined,
      'x',
    ]);
    expect(seen.get(2)).toBeUndefined();
    expect([seen.size, copy.size]).toEqual([3, 3]);
  });
});
