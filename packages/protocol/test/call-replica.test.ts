// Patches of a call's rows: a patch made by diffDocument rebuilds the new version exactly, and
// a run of changes merged into one has the effect of the whole run.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyCallChanges,
  CALL_LIST_TABLES,
  CALL_TABLES,
  diffDocument,
  emptySnapshot,
  mergeChanges,
  patchDocument,
  type CallChange,
  type CallSnapshot,
  type LiveCall,
} from '../src/index.ts';

/** A row's version: `_id` fixed, a few fields that come and go and change value. */
const version = fc
  .record(
    {
      agentGain: fc.integer({ min: 0, max: 100 }),
      currentSpeaker: fc.constantFrom('agent', 'customer'),
      status: fc.constantFrom('connected', 'on_hold', 'ended'),
      endedAt: fc.string(),
      duration: fc.nat(),
    },
    { requiredKeys: ['agentGain', 'duration'] },
  )
  .map((fields) => ({ _id: 'call-1', ...fields }) as Record<string, unknown>);

describe('call patches', () => {
  it('a diff applied to the old version gives the new one, and no diff means no change', () => {
    fc.assert(
      fc.property(version, version, (previous, next) => {
        const patch = diffDocument('liveCalls', previous, next);
        if (patch === undefined) expect(next).toEqual(previous);
        else {
          expect(patch.id).toBe('call-1');
          expect(patchDocument(previous, patch)).toEqual(next);
        }
      }),
    );
  });

  it('a run of changes merged into one has the effect of the whole run', () => {
    fc.assert(
      fc.property(
        version,
        fc.array(fc.tuple(version, fc.boolean()), { minLength: 1, maxLength: 8 }),
        (first, steps) => {
          // Each step is the whole new version or a patch from the one before.
          let held = first;
          const changes: CallChange[] = [];
          for (const [next, whole] of steps) {
            const patch = diffDocument('liveCalls', held, next);
            if (whole) changes.push({ table: 'liveCalls', doc: next });
            else if (patch) changes.push(patch);
            held = next;
          }
          if (changes.length === 0) return;
          const merged = changes.reduce((earlier, later) => mergeChanges(earlier, later));
          const applied = 'doc' in merged ? merged.doc : patchDocument(first, merged);
          expect(applied).toEqual(held);
        },
      ),
    );
  });

  it('knows every table of a call snapshot, and which of them are lists', () => {
    const snapshot = emptySnapshot({ _id: 'call-1' } as unknown as LiveCall);
    // A snapshot keys the call's own row as liveCall; every other table by its name.
    const keys = Object.keys(snapshot).map((key) => (key === 'liveCall' ? 'liveCalls' : key));
    expect([...CALL_TABLES].sort()).toEqual(keys.sort());
    const lists = Object.entries(snapshot).filter(([, value]) => Array.isArray(value));
    expect([...CALL_LIST_TABLES].sort()).toEqual(lists.map(([key]) => key).sort());
  });

  it('applies patches to the call row and to a list row, leaving the old snapshot as it was', () => {
    const snapshot = {
      ...emptySnapshot({
        _id: 'call-1',
        callId: 'c-1',
        agentGain: 10,
        currentSpeaker: 'agent',
      } as unknown as LiveCall),
      callObjectives: [{ _id: 'o-1', objective: 'Confirm identity', status: 'pending' }],
    } as unknown as CallSnapshot;
    const next = applyCallChanges(snapshot, [
      { table: 'liveCalls', id: 'call-1', set: { agentGain: 60 }, unset: ['currentSpeaker'] },
      { table: 'callObjectives', id: 'o-1', set: { status: 'completed' } },
    ]);
    expect(next.liveCall).toEqual({ _id: 'call-1', callId: 'c-1', agentGain: 60 });
    expect(next.callObjectives).toEqual([
      { _id: 'o-1', objective: 'Confirm identity', status: 'completed' },
    ]);
    expect(snapshot.liveCall.agentGain).toBe(10);
    expect(snapshot.callObjectives[0]!.status).toBe('pending');
  });

  it('refuses a patch of a row the replica does not hold', () => {
    const snapshot = { liveCall: { _id: 'call-1' }, callObjectives: [] } as unknown as CallSnapshot;
    expect(() =>
      applyCallChanges(snapshot, [
        { table: 'callObjectives', id: 'o-9', set: { status: 'completed' } },
      ]),
    ).toThrow(/callObjectives o-9/);
  });
});
