// The wallboard row: the phone masked to its last four digits, the field comparison the hub
// uses to skip rows that did not change, and the row reused when nothing it shows changed.
import { emptySnapshot, type LiveCall, type WallboardEntry } from '@earshot/protocol';
import { describe, expect, it } from 'vitest';
import {
  maskPhone,
  sameWallboardEntry,
  wallboardEntry,
  wallboardEntryAfter,
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
