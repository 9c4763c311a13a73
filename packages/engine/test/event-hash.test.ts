// Event fingerprints decide replay (same seq, same body) from conflict (same seq, another
// body), and they are stored: a faster way of computing them must give the same hashes.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventHash } from '../src/event-hash.ts';

/** The first implementation, kept as the reference the stored hashes were made with. */
function referenceCanonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(referenceCanonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${referenceCanonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
const referenceHash = (body: unknown) =>
  createHash('sha256').update(referenceCanonical(body)).digest('hex').slice(0, 16);

describe('eventHash', () => {
  it('gives the hashes the first implementation stored, for any JSON body', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        expect(eventHash(body)).toBe(referenceHash(body));
      }),
      { numRuns: 2_000 },
    );
  });

  it('ignores key order and undefined fields, and tells different values apart', () => {
    const event = { type: 'audio', seq: 7, agentLevel: 0.4, customerLevel: 0.1 };
    const shuffled = {
      customerLevel: 0.1,
      seq: 7,
      agentLevel: 0.4,
      type: 'audio',
      extra: undefined,
    };
    expect(eventHash(shuffled)).toBe(eventHash(event));
    expect(eventHash({ ...event, customerLevel: 0.2 })).not.toBe(eventHash(event));
    // Pinned: hashes like this one are in databases already.
    expect(eventHash(event)).toBe('bdedf9cb2d863184');
  });
});
