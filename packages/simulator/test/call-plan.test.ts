// The simulator's plans: reproducible from the seed, valid against the same schemas as any
// ingest client, and realistic in shape (interims growing into finals, 10 Hz audio, health).
import {
  eventBatchRequest,
  ingestEvent,
  startCallRequest,
  type IngestEvent,
} from '@earshot/protocol';
import { describe, expect, it } from 'vitest';
import { planCall } from '../src/call-plan.ts';
import { SCENARIOS } from '../src/scenarios.ts';

const T = Date.parse('2026-11-23T10:00:00.000Z');

describe('call plans', () => {
  it('are the same for the same seed and differ for another', () => {
    expect(planCall(7, 'c', T)).toEqual(planCall(7, 'c', T));
    expect(planCall(8, 'c', T).events).not.toEqual(planCall(7, 'c', T).events);
  });

  it('pass the same validation as any ingest client, for every seed tried', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const plan = planCall(seed, `c-${seed}`, T);
      expect(startCallRequest.safeParse(plan.start).success).toBe(true);
      const events = plan.events.map(({ event }, i) => ({ ...event, seq: i + 1 }) as IngestEvent);
      for (const event of events) {
        const result = ingestEvent.safeParse(event);
        expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
      }
      for (let i = 0; i < events.length; i += 500)
        expect(eventBatchRequest.safeParse({ events: events.slice(i, i + 500) }).success).toBe(
          true,
        );
    }
  });

  it('cover every scenario and outcome over enough seeds', () => {
    const outcomes = new Set<string>();
    const campaigns = new Set<string>();
    for (let seed = 1; seed <= 200; seed++) {
      const plan = planCall(seed, 'c', T);
      outcomes.add(plan.outcome);
      campaigns.add(plan.campaignName);
    }
    expect(campaigns).toEqual(new Set(SCENARIOS.map((s) => s.campaign.name)));
    for (const outcome of ['sale', 'objection', 'hang-up', 'voicemail', 'transfer'])
      expect(outcomes).toContain(outcome);
  });

  it('grows interim results into a final, sends audio at about 10 Hz and health every 5 s', () => {
    const plan = planCall(3, 'c', T);
    const transcripts = plan.events
      .filter((e) => e.event.type === 'transcript')
      .map((e) => e.event as Extract<IngestEvent, { type: 'transcript' }>);
    const bySegment = new Map<string, typeof transcripts>();
    for (const t of transcripts)
      bySegment.set(t.segmentId, [...(bySegment.get(t.segmentId) ?? []), t]);
    for (const results of bySegment.values()) {
      expect(results.at(-1)!.isFinal).toBe(true);
      expect(results.slice(0, -1).every((r) => !r.isFinal)).toBe(true);
      for (let i = 1; i < results.length; i++)
        expect(results[i]!.text.length).toBeGreaterThanOrEqual(results[i - 1]!.text.length);
    }
    const audio = plan.events.filter((e) => e.event.type === 'audio');
    const speaking = audio.filter(
      (e) => (e.event as { currentSpeaker?: string | null }).currentSpeaker,
    );
    const gaps = speaking
      .slice(1)
      .map((e, i) => e.at - speaking[i]!.at)
      .filter((gap) => gap < 500);
    expect(gaps.reduce((a, b) => a + b, 0) / gaps.length).toBeCloseTo(100, -1);
    const health = plan.events.filter((e) => e.event.type === 'health');
    expect(health.length).toBeGreaterThanOrEqual(
      Math.floor((plan.endAt - health[0]!.at) / 5000) - 1,
    );
    expect(plan.events.map((e) => e.at)).toEqual(
      [...plan.events.map((e) => e.at)].sort((a, b) => a - b),
    );
  });
});
