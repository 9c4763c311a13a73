// The wallboard row: the phone masked to its last four digits, and the field comparison the
// hub uses to skip rows that did not change.
import type { WallboardEntry } from '@earshot/protocol';
import { describe, expect, it } from 'vitest';
import { maskPhone, sameWallboardEntry } from '../src/wallboard.ts';

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
});
