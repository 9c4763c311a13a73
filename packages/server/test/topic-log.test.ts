// A topic's resume history, held as UTF-8 bytes outside the JavaScript heap: what goes in
// comes back exactly, for every version still held, through growth, trimming and the ring's
// wrapping, and the ring stops reallocating once it holds a full history.
import { describe, expect, it } from 'vitest';
import { TopicLog } from '../src/realtime/hub.ts';

/** A change's JSON of varying length, with characters of one to four UTF-8 bytes. */
function changeJson(version: number): string {
  const text = 'é€😀a'.repeat(version % 37) + ` line ${version}`;
  return JSON.stringify({ table: 'liveTranscripts', doc: { _id: `t${version}`, text } });
}

describe('TopicLog', () => {
  it('gives back exactly the changes after a version, one entry per version', () => {
    const log = new TopicLog(1000, 50);
    const appended = new Map<number, string[]>();
    for (let n = 1; n <= 400; n++) {
      // Some versions carry several changes.
      const json = Array.from({ length: 1 + (n % 3) }, (_, k) => changeJson(n * 10 + k));
      appended.set(log.append(json), json);
    }
    expect(log.version).toBe(1400);
    // The last `limit` versions are held.
    expect(log.version - log.oldestVersion + 1).toBe(50);

    const from = log.oldestVersion - 1;
    const missed = log.since(from)!;
    expect(missed.map((e) => e.version)).toEqual(
      Array.from({ length: log.version - from }, (_, i) => from + 1 + i),
    );
    for (const entry of missed) {
      // A call's changes come back as one piece: the inside of the frame's changes array.
      expect(JSON.parse(`[${entry.json.join(',')}]`)).toEqual(
        appended.get(entry.version)!.map((json) => JSON.parse(json) as unknown),
      );
      expect(entry.changes).toBeUndefined();
    }
    expect(log.since(log.version)).toEqual([]);
    expect(log.since(log.version - 1)!.map((e) => e.version)).toEqual([log.version]);
  });

  it('keeps every held version exact as the ring wraps, and stops reallocating once full', () => {
    const log = new TopicLog(0, 40);
    const appended = new Map<number, string>();
    const inside = log as unknown as { bytes: Buffer; starts: number[]; first: number };
    const buffer = () => inside.bytes;
    let settled: Buffer | undefined;
    let wrapped = 0; // appends that went to the front, before the oldest held version
    for (let n = 1; n <= 6000; n++) {
      const json = changeJson(n);
      appended.set(log.append([json]), json);
      if (inside.starts.at(-1)! < inside.starts[inside.first]!) wrapped++;
      if (n % 7 === 0) {
        const missed = log.since(log.oldestVersion - 1)!;
        expect(missed).toHaveLength(Math.min(n, 40));
        for (const entry of missed) expect(entry.json).toEqual([appended.get(entry.version)]);
      }
      if (n === 1000) settled = buffer();
    }
    // Sizes repeat every 37 versions: by the 1,000th the ring has met its largest history.
    expect(buffer()).toBe(settled);
    expect(wrapped).toBeGreaterThan(1000);
  });

  it('answers undefined (resync) for versions no longer held, or never issued', () => {
    const log = new TopicLog(0, 10);
    for (let n = 1; n <= 100; n++) log.append([changeJson(n)]);
    expect(log.since(log.oldestVersion - 2)).toBeUndefined();
    expect(log.since(0)).toBeUndefined();
    expect(log.since(log.version + 1)).toBeUndefined();
    expect(log.since(log.oldestVersion - 1)).toHaveLength(log.version - log.oldestVersion + 1);
  });

  it('an empty log resumes only from its current version', () => {
    const log = new TopicLog(500, 10);
    expect(log.oldestVersion).toBe(501);
    expect(log.since(500)).toEqual([]);
    expect(log.since(499)).toBeUndefined();
  });

  it('after a release or an advance holds nothing, resumes only from the current version, and holds again on append', () => {
    const log = new TopicLog(0, 10);
    for (let n = 1; n <= 20; n++) log.append([changeJson(n)]);
    log.release();
    expect(log.holding).toBe(false);
    expect(log.version).toBe(20);
    expect(log.since(20)).toEqual([]);
    expect(log.since(19)).toBeUndefined();
    expect(log.advance()).toBe(21);
    expect(log.since(20)).toBeUndefined();
    expect(log.since(21)).toEqual([]);
    log.append([changeJson(22)]);
    expect(log.holding).toBe(true);
    expect(log.since(21)).toEqual([{ version: 22, json: [changeJson(22)] }]);
  });

  it('gives back the changes themselves where subscribers filter them (the wallboard)', () => {
    const log = new TopicLog(0, 20, true);
    const upsert = { op: 'upsert', entry: { callId: 'c1', status: 'active', agentName: 'Zoë' } };
    const remove = { op: 'remove', callId: 'c2', campaignId: 'k' };
    log.append([JSON.stringify(upsert)]);
    log.append([JSON.stringify(remove)]);
    const entries = log.since(0)!;
    expect(entries.map((e) => e.changes)).toEqual([[upsert], [remove]]);
    expect(entries.map((e) => e.json)).toEqual([
      [JSON.stringify(upsert)],
      [JSON.stringify(remove)],
    ]);
  });
});
