// The analytics on six realistic calls: sentiment of labelled lines, phases reached in order,
// objectives completed, which coaching rules fire and which must not, and the ranking of the
// conversion model.
import type { CallSnapshot, Campaign, IngestEvent } from '@earshot/protocol';
import { describe, expect, it } from 'vitest';
import { applyEvents, startCall, tick, type CallState, type EngineContext } from '../src/index.ts';
import { scoreText, summarizeSentiment } from '../src/analytics/sentiment.ts';
import { computeMetrics, type MetricInputs } from '../src/analytics/metrics.ts';
import { COACHING_RULES } from '../src/analytics/coaching.ts';
import { suggestNextActions } from '../src/analytics/next-actions.ts';
import { emptySignals, onAudio, recentAgentShare } from '../src/analytics/signals.ts';
import { CONVERSATIONS, type Conversation } from './fixtures/conversations.ts';

const START = Date.parse('2026-11-23T10:00:00.000Z');

/** Plays a conversation through the engine: audio at 1 Hz while someone speaks, a final line when they stop, a tick every 5 s. */
function play(conversation: Conversation): { state: CallState; titles: Set<string> } {
  let now = START;
  let ids = 0;
  const ctx = (): EngineContext => ({
    now,
    newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
  });
  const campaign: Campaign = {
    _id: '11111111-1111-4111-8111-111111111111',
    _creationTime: START,
    name: conversation.name,
    description: '',
    type: 'Outbound',
    status: 'active',
    script: conversation.script,
    createdAt: START,
    updatedAt: START,
  };
  let state = startCall(
    {
      callId: conversation.name,
      agentName: 'Dana',
      customerName: 'Sam',
      customerPhone: '+44 7700 900123',
      campaignId: campaign._id,
      sessionId: 's',
      startTime: new Date(START).toISOString(),
      isRecording: false,
      status: 'connecting',
    },
    campaign,
    ctx(),
  ).state;
  let seq = 0;
  let nextTick = START + 5_000;
  const titles = new Set<string>();
  const send = (events: Array<Record<string, unknown>>) => {
    const result = applyEvents(
      state,
      events.map((e) => ({ ...e, seq: ++seq }) as IngestEvent),
      ctx(),
    );
    for (const { seq: s, hash } of result.accepted) result.state.seen.set(s, hash);
    state = result.state;
  };
  const advance = (ms: number) => {
    now += ms;
    while (now >= nextTick) {
      state = tick(state, { ...ctx(), now: nextTick }).state;
      nextTick += 5_000;
    }
    for (const c of state.snapshot.coachingRecommendations) titles.add(c.title);
  };
  send([{ type: 'status', status: 'ringing' }, { type: 'status', status: 'connected' } as never]);
  conversation.lines.forEach(([speaker, text, seconds], index) => {
    const startedAt = Math.round((now - START) / 1000);
    for (let s = 0; s < seconds; s++) {
      send([
        {
          type: 'audio',
          agentGain: speaker === 'agent' ? 60 : 5,
          customerGain: speaker === 'customer' ? 55 : 5,
          currentSpeaker: speaker,
        } as never,
      ]);
      advance(1_000);
    }
    const clock = `${Math.floor(startedAt / 60)}:${String(startedAt % 60).padStart(2, '0')}`;
    send([
      {
        type: 'transcript',
        segmentId: `l${index}`,
        speaker,
        text,
        isFinal: true,
        timestamp: clock,
        confidence: 0.92,
      } as never,
    ]);
    for (const c of state.snapshot.coachingRecommendations) titles.add(c.title);
  });
  send([{ type: 'audio', agentGain: 2, customerGain: 2, currentSpeaker: null } as never]);
  advance(5_000);
  return { state, titles };
}

const played = new Map(CONVERSATIONS.map((c) => [c.name, play(c)]));

describe.each(CONVERSATIONS)('$name', (conversation) => {
  const { state, titles } = played.get(conversation.name)!;

  it('labels sentiment as expected on labelled lines', () => {
    conversation.lines.forEach(([, text, , expected], index) => {
      if (!expected) return;
      const row = state.snapshot.liveTranscripts.find((t) => t.segmentId === `l${index}`);
      expect(row?.sentiment, text).toBe(expected);
    });
    if (conversation.expect.sentimentTrendNot)
      expect(state.snapshot.sentimentAnalysis?.trend).not.toBe(
        conversation.expect.sentimentTrendNot,
      );
    const analysis = state.snapshot.sentimentAnalysis!;
    expect(
      analysis.positivePercentage + analysis.neutralPercentage + analysis.negativePercentage,
    ).toBeCloseTo(100, 5);
  });

  it('reaches the expected phases in script order', () => {
    const reached = [...state.snapshot.callPhases]
      .sort((a, b) => a.order - b.order)
      .filter((p) => p.status === 'completed' || p.status === 'active')
      .map((p) => p.phase);
    expect(reached).toEqual(conversation.expect.phasesReached);
    expect(state.snapshot.liveCall.currentPhase).toBe(reached.at(-1));
    for (const phase of state.snapshot.callPhases.filter((p) => p.status === 'completed')) {
      expect(phase.duration).toMatch(/^\d+:\d{2}$/);
      expect(phase.endTime).toBeDefined();
    }
  });

  it('completes the expected objectives', () => {
    const completed = state.snapshot.callObjectives
      .filter((o) => o.status === 'completed')
      .map((o) => o.objective);
    expect(completed.sort()).toEqual([...conversation.expect.objectivesCompleted].sort());
    for (const objective of state.snapshot.callObjectives.filter((o) => o.status === 'completed'))
      expect(objective.completedAt).toBeDefined();
  });

  it('fires the expected coaching rules and not the others, never duplicated', () => {
    for (const title of conversation.expect.coachingFired)
      expect(titles, `expected "${title}"`).toContain(title);
    for (const title of conversation.expect.coachingNotFired)
      expect(titles, `did not expect "${title}"`).not.toContain(title);
    const active = state.snapshot.coachingRecommendations
      .filter((c) => c.isActive)
      .map((c) => c.title);
    expect(new Set(active).size).toBe(active.length);
  });

  it('writes metrics within their ranges and keeps three next actions', () => {
    expect(state.snapshot.livePerformanceMetrics.length).toBeGreaterThan(0);
    expect(new Set(state.snapshot.nextActions.map((a) => a.priority))).toEqual(
      new Set(['immediate', 'next', 'follow-up']),
    );
  });
});

describe('conversion model', () => {
  it('ranks the won sale above heavy objections, and both above not interested', () => {
    const last = (name: string) =>
      played.get(name)!.state.snapshot.livePerformanceMetrics.at(-1)!.conversionProbability;
    expect(last('won sale')).toBeGreaterThan(last('heavy objections'));
    expect(last('heavy objections')).toBeGreaterThan(last('not interested'));
  });

  it('moves each probability the stated way with each input', () => {
    const base: MetricInputs = {
      agentShare: 0.5,
      customerShare: 0.5,
      silenceShare: 0.1,
      overtalkShare: 0,
      meanAgentGain: 0.5,
      sttConfidence: 0.9,
      fillerRate: 0,
      customerSentiment: 0.5,
      overallSentiment: 0.5,
      questionsPerMinute: 1,
      customerQuestions: 1,
      buyingSignals: 1,
      refusals: 0,
      unaddressedObjections: 0,
      addressedRatio: 1,
      objectiveProgress: 0.3,
      phaseProgress: 0.5,
      skippedShare: 0,
      minutes: 3,
    };
    const at = (patch: Partial<MetricInputs>) => computeMetrics({ ...base, ...patch });
    for (const key of [
      'conversionProbability',
      'demoAcceptanceProbability',
      'immediateCloseProbability',
    ] as const) {
      expect(at({ buyingSignals: 3 })[key]).toBeGreaterThan(at({})[key]);
      expect(at({ unaddressedObjections: 2 })[key]).toBeLessThan(at({})[key]);
      expect(at({ refusals: 1 })[key]).toBeLessThan(at({})[key]);
      expect(at({ customerSentiment: 0.9 })[key]).toBeGreaterThan(at({})[key]);
      expect(at({ objectiveProgress: 1 })[key]).toBeGreaterThan(at({})[key]);
    }
  });
});

describe('sentiment', () => {
  it.each([
    ['This is not good at all', 'negative'],
    ['That sounds really great, thanks!', 'positive'],
    ['The meeting is on Tuesday', 'neutral'],
    ["I'm not unhappy with it", 'positive'],
  ] as const)('"%s" is %s (negation and intensifiers handled)', (text, label) => {
    expect(scoreText(text).label).toBe(label);
  });

  it('calls the trend from the last five lines against the five before', () => {
    const line = (order: number, compound: number) => ({
      order,
      compound,
      label: 'neutral' as const,
      speaker: 'customer' as const,
      clock: '0:01',
      text: '',
    });
    const rising = [
      ...[0, 1, 2, 3, 4].map((i) => line(i, -0.5)),
      ...[5, 6, 7, 8, 9].map((i) => line(i, 0.5)),
    ];
    expect(summarizeSentiment(rising).trend).toBe('improving');
    expect(
      summarizeSentiment([...rising].reverse().map((l, i) => ({ ...l, order: i }))).trend,
    ).toBe('declining');
    expect(summarizeSentiment(rising.slice(0, 3)).trend).toBe('stable');
  });
});

describe('recent talk share', () => {
  it('counts the last two minutes in at most 25 buckets, however long the call', () => {
    let signals = emptySignals();
    const t0 = 1_000_000;
    // Ten minutes of the agent talking at 10 Hz, then 60 s of the customer.
    for (let ms = 0; ms <= 600_000; ms += 100)
      signals = onAudio(
        signals,
        { agentGain: 60, customerGain: 5, currentSpeaker: 'agent' },
        t0 + ms,
      );
    expect(signals.recent.length).toBeLessThanOrEqual(26);
    expect(recentAgentShare(signals, t0 + 600_000)).toBe(1);
    for (let ms = 600_100; ms <= 660_000; ms += 100)
      signals = onAudio(
        signals,
        { agentGain: 5, customerGain: 60, currentSpeaker: 'customer' },
        t0 + ms,
      );
    expect(signals.recent.length).toBeLessThanOrEqual(26);
    // About 60 s of each side in the window (the oldest bucket may be partly outside it).
    expect(recentAgentShare(signals, t0 + 660_000)).toBeGreaterThan(0.48);
    expect(recentAgentShare(signals, t0 + 660_000)).toBeLessThan(0.56);
    // Silence since: the talk ages out of the window.
    expect(recentAgentShare(signals, t0 + 800_000)).toBeUndefined();
  });

  it('replaces only the open bucket per sample: the closed ones are shared until a bucket closes', () => {
    const sample = { agentGain: 60, customerGain: 5, currentSpeaker: 'agent' } as const;
    let signals = emptySignals();
    for (let ms = 0; ms <= 12_000; ms += 100) signals = onAudio(signals, sample, 1_000_000 + ms);
    const next = onAudio(signals, sample, 1_012_100); // same 5-second bucket
    expect(next.recent).toBe(signals.recent);
    expect(next.recentOpen).not.toBe(signals.recentOpen);
    expect(next.recentOpen!.agent - signals.recentOpen!.agent).toBe(100);
    const closing = onAudio(next, sample, 1_015_000); // the next bucket opens
    expect(closing.recent).not.toBe(next.recent);
    expect(closing.recent.at(-1)).toBe(next.recentOpen);
  });
});

describe('next actions and coaching agree on a close', () => {
  const snapshotWith = (phase: string, status: 'pending' | 'active' | 'completed') =>
    ({
      callPhases: [{ phase, status, order: 0 }],
      callObjectives: [],
    }) as unknown as CallSnapshot;
  const signals = { ...emptySignals(), buyingSignals: 3 };
  const immediate = (snapshot: CallSnapshot) =>
    suggestNextActions(signals, snapshot, { phases: [], objectives: [] })[0]!.action;
  const commitmentRule = COACHING_RULES.find((rule) => rule.title === 'Ask for the commitment')!;
  const coached = (snapshot: CallSnapshot) =>
    commitmentRule.applies({ signals, snapshot } as never) !== undefined;

  it.each(['Close', 'Closing', 'Wrap-up', 'Book the visit', 'Agree next steps'])(
    'a reached "%s" phase stops both asking for the commitment',
    (phase) => {
      expect(immediate(snapshotWith(phase, 'active'))).not.toBe('Ask for the commitment');
      expect(coached(snapshotWith(phase, 'completed'))).toBe(false);
      expect(immediate(snapshotWith(phase, 'pending'))).toBe('Ask for the commitment');
      expect(coached(snapshotWith(phase, 'pending'))).toBe(true);
    },
  );
});

describe('next actions without objectives', () => {
  it('suggests a follow-up call for a script without objectives, saying so', () => {
    const snapshot = { callPhases: [], callObjectives: [] } as unknown as CallSnapshot;
    const followUp = suggestNextActions(emptySignals(), snapshot, {
      phases: [],
      objectives: [],
    })[2]!;
    expect(followUp).toEqual({
      priority: 'follow-up',
      action: 'Schedule a follow-up call',
      reason: 'The script sets no objectives to confirm',
    });
  });
});
