// The wallboard row: the phone masked to its last four digits, the field comparison the hub
// uses to skip rows that did not change, the row reused when nothing it shows changed, and
// the patch a wallboard that holds the row is sent instead of the whole row.
import {
  applyWallboardChanges,
  emptySnapshot,
  mergeWallboardChanges,
  type LiveCall,
  type WallboardChange,
  type WallboardEntry,
} from '@earshot/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  maskPhone,
  sameWallboardEntry,
  wallboardEntry,
  wallboardEntryAfter,
  wallboardPatch,
} from '../src/wallboard.ts';

const row: WallboardEntry = {
  callId: 'c1',
  liveCallId: 'l1',
  agentName: 'Dana',
  customerName: 'Sam',
  customerPhone: maskPhone('+44 7700 900123'),
  campaignName: 'Solar',
  status: 'connected',
  startTime: '2026-11-24T10:00:00.000Z',
  currentPhase: 'Opening',
  isRecording: true,
  sentiment: { positive: 50, neutral: 40, negative: 10, trend: 'stable' },
  pipelineError: false,
};

describe('wallboard rows', () => {
  it('masks all but the last four digits of the phone', () => {
    expect(row.customerPhone).toBe('+•• •••• ••0123');
  });

  it('finds an equal row equal, and any changed field, nested or added, different', () => {
    expect(sameWallboardEntry(row, { ...row, sentiment: { ...row.sentiment! } })).toBe(true);
    expect(sameWallboardEntry(row, { ...row, currentPhase: 'Pitch' })).toBe(false);
    expect(sameWallboardEntry(row, { ...row, currentSpeaker: 'agent' })).toBe(false);
    expect(sameWallboardEntry({ ...row, currentSpeaker: 'agent' }, row)).toBe(false);
    expect(
      sameWallboardEntry(row, { ...row, sentiment: { ...row.sentiment!, trend: 'improving' } }),
    ).toBe(false);
    expect(
      sameWallboardEntry(row, { ...row, sentiment: { ...row.sentiment!, negative: 11 } }),
    ).toBe(false);
    const { sentiment: _, ...withoutSentiment } = row;
    expect(sameWallboardEntry(row, { ...withoutSentiment, conversionProbability: 40 })).toBe(false);
  });

  it('reuses the last row when only fields it does not show changed, and rebuilds it otherwise', () => {
    const call = {
      _id: 'l1',
      _creationTime: 0,
      callId: 'c1',
      agentName: 'Dana',
      customerName: 'Sam',
      customerPhone: '+44 7700 900123',
      status: 'connected',
      startTime: '2026-11-24T10:00:00.000Z',
      duration: 10,
      currentPhase: 'Opening',
      campaignName: 'Solar',
      isRecording: true,
      agentGain: 40,
      customerGain: 10,
      currentSpeaker: 'agent',
      sessionId: 's1',
      createdAt: 0,
      updatedAt: 0,
    } as LiveCall;
    const first = emptySnapshot(call);
    const previous = { snapshot: first, entry: wallboardEntry(first) };
    // An audio sample: gains, duration and updatedAt move; the board shows none of them.
    const audio = { ...first, liveCall: { ...call, agentGain: 70, duration: 11, updatedAt: 1 } };
    expect(wallboardEntryAfter(audio, previous)).toBe(previous.entry);
    // The speaker changed: a new row, equal to one built from scratch.
    const turn = { ...first, liveCall: { ...call, currentSpeaker: 'customer' as const } };
    const rebuilt = wallboardEntryAfter(turn, previous);
    expect(rebuilt).not.toBe(previous.entry);
    expect(rebuilt).toEqual(wallboardEntry(turn));
    // Sentiment, metrics and pipeline health are compared by the documents themselves.
    const sentiment = {
      ...first,
      sentimentAnalysis: {
        _id: 's',
        _creationTime: 0,
        liveCallId: 'l1',
        overallSentiment: 'positive',
        positivePercentage: 60,
        neutralPercentage: 30,
        negativePercentage: 10,
        trend: 'improving',
        keyMoments: [],
        updatedAt: 0,
      },
    } as unknown as typeof first;
    expect(wallboardEntryAfter(sentiment, previous)).toEqual(wallboardEntry(sentiment));
    expect(wallboardEntryAfter(sentiment, previous)).not.toBe(previous.entry);
    expect(wallboardEntryAfter(first, undefined)).toEqual(previous.entry);
    // Whatever field of the call changes, the row is the one built from scratch: no field
    // the board shows is missed by the check.
    const changed: Record<string, unknown> = {
      campaignId: 'k1',
      endedAt: '2026-11-24T10:05:00.000Z',
      endReason: 'completed',
      recordingStartTime: '2026-11-24T10:00:01.000Z',
      sipEndpoint: 'sip:a@b',
      securePauseSince: '2026-11-24T10:01:00.000Z',
    };
    for (const [key, value] of Object.entries(call)) {
      changed[key] =
        typeof value === 'number' ? value + 1 : typeof value === 'boolean' ? !value : `${value}x`;
    }
    for (const [key, value] of Object.entries(changed)) {
      const variant = { ...first, liveCall: { ...call, [key]: value } as LiveCall };
      expect(wallboardEntryAfter(variant, previous), key).toEqual(wallboardEntry(variant));
    }
  });
});

/** A version of row c1: the fields a call's life changes, some of which come and go. */
const version = fc
  .record(
    {
      status: fc.constantFrom('connected', 'on-hold', 'ended'),
      currentPhase: fc.constantFrom('Opening', 'Pitch', 'Close'),
      currentSpeaker: fc.constantFrom('agent', 'customer'),
      sentiment: fc.record({
        positive: fc.integer({ min: 0, max: 2 }),
        neutral: fc.constant(50),
        negative: fc.integer({ min: 0, max: 2 }),
        trend: fc.constantFrom('stable', 'improving'),
      }),
      conversionProbability: fc.integer({ min: 0, max: 2 }),
      pipelineError: fc.boolean(),
      endedAt: fc.constant('2026-11-24T10:05:00.000Z'),
    },
    { requiredKeys: ['status', 'currentPhase', 'pipelineError'] },
  )
  .map((fields) => ({ ...row, sentiment: undefined, ...fields }) as WallboardEntry)
  .map((entry) => JSON.parse(JSON.stringify(entry)) as WallboardEntry); // no undefined keys

describe('wallboard patches', () => {
  it('carries only what changed: a turn of speaker is one field, silence removes it', () => {
    const speaking = { ...row, currentSpeaker: 'agent' as const };
    expect(wallboardPatch(row, speaking)).toEqual({
      op: 'patch',
      callId: 'c1',
      set: { currentSpeaker: 'agent' },
    });
    expect(wallboardPatch(speaking, row)).toEqual({
      op: 'patch',
      callId: 'c1',
      set: {},
      unset: ['currentSpeaker'],
    });
    // A sentiment summary rebuilt with the same figures is not a change.
    const rebuilt = { ...row, sentiment: { ...row.sentiment! }, currentPhase: 'Pitch' };
    expect(wallboardPatch(row, rebuilt)).toEqual({
      op: 'patch',
      callId: 'c1',
      set: { currentPhase: 'Pitch' },
    });
    expect(wallboardPatch(row, { ...row, sentiment: { ...row.sentiment! } })).toBeUndefined();
  });

  it('a patch applied to the old row gives the new one, and no patch means the same row', () => {
    fc.assert(
      fc.property(version, version, (previous, next) => {
        const patch = wallboardPatch(previous, next);
        expect(patch === undefined).toBe(sameWallboardEntry(previous, next));
        const rows = new Map([['c1', previous]]);
        if (patch) applyWallboardChanges(rows, [patch]);
        expect(rows.get('c1')).toEqual(patch ? next : previous);
      }),
    );
  });

  it('refuses a patch of a row the copy does not hold: the copy is out of step', () => {
    const rows = new Map<string, WallboardEntry>();
    expect(() =>
      applyWallboardChanges(rows, [{ op: 'patch', callId: 'c-9', set: { status: 'ended' } }]),
    ).toThrow(/c-9, not held/);
  });

  it('a run of upserts, patches and removals merged into one has the effect of the whole run', () => {
    const step = fc.oneof(
      fc.tuple(fc.constant('patch' as const), version),
      fc.tuple(fc.constant('upsert' as const), version),
      fc.tuple(fc.constant('remove' as const), fc.constant(undefined)),
    );
    fc.assert(
      fc.property(version, fc.array(step, { minLength: 1, maxLength: 8 }), (first, steps) => {
        // As the hub makes them: a patch only of a row the subscriber holds.
        let held: WallboardEntry | undefined = first;
        const changes: WallboardChange[] = [];
        for (const [kind, next] of steps) {
          if (kind === 'remove') {
            changes.push({ op: 'remove', callId: 'c1' });
            held = undefined;
            continue;
          }
          const patch = held && kind === 'patch' ? wallboardPatch(held, next!) : undefined;
          if (held && kind === 'patch' && !patch) continue; // nothing changed: nothing sent
          changes.push(
            patch ?? { op: 'upsert', entry: next as unknown as Record<string, unknown> },
          );
          held = next;
        }
        if (changes.length === 0) return;
        const oneByOne = new Map([['c1', first]]);
        applyWallboardChanges(oneByOne, changes);
        const merged = changes.reduce((earlier, later) => mergeWallboardChanges(earlier, later));
        const atOnce = new Map([['c1', first]]);
        applyWallboardChanges(atOnce, [merged]);
        expect(atOnce).toEqual(oneByOne);
        expect(oneByOne.get('c1')).toEqual(held);
      }),
    );
  });
});
