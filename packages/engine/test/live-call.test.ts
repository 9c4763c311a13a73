// The call engine, pure: state machine, ordering and idempotency, phases, cost, ending.
import {
  EarshotError,
  type Campaign,
  type IngestEvent,
  type LiveCall,
  type StartCallRequest,
} from '@earshot/protocol';
import { describe, expect, it } from 'vitest';
import {
  applyEvents,
  canTransition,
  endCall,
  forEndedCall,
  formatCallClock,
  parseCallClock,
  recordSupervisorAction,
  restoreCall,
  SeenEvents,
  startCall,
  type CallState,
  type EngineContext,
} from '../src/index.ts';
import { copyCall } from '../src/call-state.ts';
import { copySignals } from '../src/analytics/signals.ts';

const START = Date.parse('2026-11-23T10:00:00.000Z');

function context(offsetSeconds = 0): EngineContext {
  let n = 0;
  return {
    now: START + offsetSeconds * 1000,
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  };
}

const campaign: Campaign = {
  _id: '11111111-1111-4111-8111-111111111111',
  _creationTime: START,
  name: 'Renewals',
  description: '',
  type: 'Outbound',
  status: 'active',
  script: {
    phases: [
      { name: 'Opening', description: '', cues: [] },
      { name: 'Discovery', description: '', cues: [] },
      { name: 'Pitch', description: '', cues: [] },
      { name: 'Close', description: '', cues: [] },
    ],
    objectives: [{ text: 'Confirm renewal date', completionCues: [] }],
  },
  createdAt: START,
  updatedAt: START,
};

const request: StartCallRequest = {
  callId: 'call-1',
  agentName: 'Dana',
  customerName: 'Sam',
  customerPhone: '+44 7700 900123',
  campaignId: campaign._id,
  sessionId: 's-1',
  startTime: new Date(START).toISOString(),
  isRecording: false,
  status: 'connecting',
};

function started(): CallState {
  return startCall(request, campaign, context()).state;
}

/** Applies events and folds the accepted seqs into `seen`, as the server does. */
function apply(
  state: CallState,
  events: IngestEvent[],
  offsetSeconds = 1,
): { state: CallState; duplicates: number; mutations: unknown[] } {
  const result = applyEvents(state, events, context(offsetSeconds));
  const seen = state.seen.clone();
  for (const { seq, hash } of result.accepted) seen.set(seq, hash);
  return { ...result, state: { ...result.state, seen } };
}

function transcript(seq: number, segmentId: string, text: string, isFinal: boolean): IngestEvent {
  return {
    type: 'transcript',
    seq,
    segmentId,
    speaker: 'agent',
    text,
    isFinal,
    timestamp: '0:05',
    confidence: 0.9,
  };
}

describe('call clock', () => {
  it.each([
    [0, '0:00'],
    [135, '2:15'],
    [3723, '1:02:03'],
  ])('%i seconds is %s and back', (seconds, clock) => {
    expect(formatCallClock(seconds)).toBe(clock);
    expect(parseCallClock(clock)).toBe(seconds);
  });
});

describe('call state machine', () => {
  it.each([
    ['connecting', 'ringing', true],
    ['ringing', 'connected', true],
    ['connected', 'on-hold', true],
    ['on-hold', 'connected', true],
    ['connected', 'transferring', true],
    ['transferring', 'connected', true],
    ['connecting', 'ended', true],
    ['on-hold', 'ended', true],
    ['connecting', 'connected', false],
    ['ringing', 'on-hold', false],
    ['on-hold', 'transferring', false],
    ['ended', 'connected', false],
  ] as const)('%s → %s allowed: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });

  it('refuses an impossible transition with a 409 naming the current state, applying nothing', () => {
    const state = started();
    const events: IngestEvent[] = [
      { type: 'audio', seq: 1, agentGain: 40, customerGain: 20 },
      { type: 'status', seq: 2, status: 'on-hold' },
    ];
    try {
      applyEvents(state, events, context(1));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(EarshotError);
      expect((error as EarshotError).status).toBe(409);
      expect((error as EarshotError).message).toMatch(/connecting/);
      expect((error as EarshotError).fields[0]?.field).toBe('events.1.status');
    }
    expect(state.snapshot.liveCall.agentGain).toBe(0);
  });
});

describe('ordering and idempotency', () => {
  it('acknowledges a replay as a duplicate and changes nothing', () => {
    const first = apply(started(), [transcript(1, 'a', 'hello', true)]);
    const again = apply(first.state, [transcript(1, 'a', 'hello', true)]);
    expect(again.duplicates).toBe(1);
    expect(again.mutations).toEqual([]);
    expect(again.state.snapshot).toEqual(first.state.snapshot);
  });

  it('refuses the same seq with a different body', () => {
    const first = apply(started(), [transcript(1, 'a', 'hello', true)]);
    expect(() => apply(first.state, [transcript(1, 'a', 'goodbye', true)])).toThrow(
      /different body/,
    );
  });

  it('replaces an interim in place and never lets an interim overwrite a final', () => {
    let state = apply(started(), [transcript(1, 'a', 'I would', false)]).state;
    state = apply(state, [transcript(2, 'a', 'I would like', false)]).state;
    state = apply(state, [transcript(3, 'a', 'I would like to renew.', true)]).state;
    state = apply(state, [transcript(4, 'a', 'I would like to', false)]).state;
    expect(state.snapshot.liveTranscripts).toHaveLength(1);
    expect(state.snapshot.liveTranscripts[0]).toMatchObject({
      text: 'I would like to renew.',
      isFinal: true,
      order: 1,
    });
  });

  it('gives the same rows whatever order the results arrive in', () => {
    const events = [
      transcript(1, 'a', 'Hi', false),
      transcript(2, 'a', 'Hi there', true),
      transcript(3, 'b', 'Hello', false),
      transcript(4, 'b', 'Hello, who', false),
      transcript(5, 'b', 'Hello, who is this?', true),
      transcript(6, 'c', 'Dana from', false),
    ];
    const rows = (order: IngestEvent[]) => {
      let state = started();
      for (const event of order) state = apply(state, [event]).state;
      return state.snapshot.liveTranscripts
        .map(({ _id, _creationTime, createdAt, ...rest }) => rest)
        .sort((a, b) => a.order - b.order);
    };
    const expected = rows(events);
    expect(expected.map((r) => r.text)).toEqual(['Hi there', 'Hello, who is this?', 'Dana from']);
    for (const shuffled of [
      [...events].reverse(),
      [events[4]!, events[0]!, events[5]!, events[2]!, events[1]!, events[3]!],
    ]) {
      expect(rows(shuffled)).toEqual(expected);
    }
  });
});

describe('explicit copies of the call document and the signals', () => {
  const everyField: LiveCall = {
    ...started().snapshot.liveCall,
    recordingStartTime: new Date(START).toISOString(),
    currentSpeaker: 'agent',
    sipEndpoint: 'sip:agent@pbx.example.com',
    endedAt: new Date(START + 60_000).toISOString(),
    endReason: 'customer-hangup',
    securePauseSince: '0:30',
  };

  it('copies every field of a call, the optional ones only when present', () => {
    const copy = copyCall(everyField);
    expect(copy).not.toBe(everyField);
    // toStrictEqual tells a missing field from one set to undefined.
    expect(copy).toStrictEqual(everyField);
    const { campaignId: _c, sipEndpoint: _s, ...lean } = everyField;
    expect(copyCall(lean)).toStrictEqual(lean);
    expect(Object.keys(copyCall(lean))).not.toContain('campaignId');
  });

  it('keeps the key order a spread keeps, so a patched copy serialises the same', () => {
    // As the engine holds a call: required fields first, optional ones as they were added.
    const call = started().snapshot.liveCall;
    const speaking = { ...call, currentSpeaker: 'agent' as const };
    for (const doc of [call, speaking, everyField]) {
      expect(Object.keys(copyCall(doc))).toEqual(Object.keys({ ...doc }));
      expect(JSON.stringify(copyCall(doc))).toBe(JSON.stringify(doc));
    }
    // A document read back from the store in another order gets the required fields in the
    // engine's order once, and keeps the order it then has.
    const reversed = Object.fromEntries(Object.entries(everyField).reverse()) as LiveCall;
    const once = copyCall(reversed);
    expect(Object.keys(once).slice(0, 17)).toEqual(Object.keys(call).slice(0, 17));
    expect(Object.keys(copyCall(once))).toEqual(Object.keys(once));
  });

  it('leaves out only the field it is asked to', () => {
    const { currentSpeaker: _speaker, ...rest } = everyField;
    const copy = copyCall(everyField, 'currentSpeaker');
    expect(copy).toStrictEqual(rest);
    expect('currentSpeaker' in copy).toBe(false);
  });

  it('removes the speaker when an audio event has none, in one batch or across two', () => {
    const connected = apply(started(), [
      { type: 'status', seq: 1, status: 'ringing' },
      { type: 'status', seq: 2, status: 'connected' },
    ]).state;
    const speaking = { type: 'audio', agentGain: 60, customerGain: 5 } as const;
    const oneBatch = apply(connected, [
      { ...speaking, seq: 3, currentSpeaker: 'agent' },
      { ...speaking, seq: 4, currentSpeaker: null },
    ]).state.snapshot.liveCall;
    expect('currentSpeaker' in oneBatch).toBe(false);
    expect(oneBatch.agentGain).toBe(60);
    const first = apply(connected, [{ ...speaking, seq: 3, currentSpeaker: 'customer' }]).state;
    expect(first.snapshot.liveCall.currentSpeaker).toBe('customer');
    const second = apply(first, [{ ...speaking, seq: 4, customerGain: 9, currentSpeaker: null }]);
    expect('currentSpeaker' in second.state.snapshot.liveCall).toBe(false);
    expect(second.state.snapshot.liveCall.customerGain).toBe(9);
    // The state it was applied to still has its speaker.
    expect(first.snapshot.liveCall.currentSpeaker).toBe('customer');
  });

  it('copies every field of the signals, in order', () => {
    let state = apply(started(), [
      { type: 'status', seq: 1, status: 'ringing' },
      { type: 'status', seq: 2, status: 'connected' },
      { type: 'audio', seq: 3, agentGain: 60, customerGain: 5, currentSpeaker: 'agent' },
    ]).state;
    state = apply(state, [transcript(4, 'a', 'How much do you pay a month?', true)], 2).state;
    const signals = state.signals;
    expect(signals.lastAudioAt).toBeDefined();
    expect(signals.questionsByAgent).toBe(1);
    const copy = copySignals(signals);
    expect(copy).not.toBe(signals);
    expect(copy).toStrictEqual(signals);
    expect(Object.keys(copy)).toEqual(Object.keys(signals));
  });
});

describe('shared storage between states', () => {
  it('gives a snapshot that spreads, serialises and clones whole, transcript included', () => {
    let state = apply(started(), [
      { type: 'status', seq: 1, status: 'ringing' },
      { type: 'status', seq: 2, status: 'connected' },
    ]).state;
    state = apply(state, [transcript(3, 'a', 'Hello there', true)], 2).state;
    state = apply(state, [transcript(4, 'b', 'Hi, who is this?', true)], 3).state;
    const { snapshot } = state;
    const lines = snapshot.liveTranscripts.map((t) => t.text);
    expect(lines).toEqual(['Hello there', 'Hi, who is this?']);
    // The seed's ten tables and nothing else (JSON leaves out the ones still undefined).
    const tables = (o: object) =>
      Object.entries(o)
        .filter(([, value]) => value !== undefined)
        .map(([key]) => key)
        .sort();
    expect(Object.keys(snapshot)).toHaveLength(10);
    // In the seed's order, as clients have always received it (some compare JSON text).
    expect(Object.keys(snapshot).slice(0, 3)).toEqual([
      'liveCall',
      'liveTranscripts',
      'callObjectives',
    ]);
    for (const copy of [
      { ...snapshot },
      JSON.parse(JSON.stringify(snapshot)) as typeof snapshot,
      structuredClone(snapshot),
    ]) {
      expect(tables(copy)).toEqual(tables(snapshot));
      expect(copy.liveTranscripts.map((t) => t.text)).toEqual(lines);
      expect(copy.liveCall).toEqual(snapshot.liveCall);
    }
  });

  const rows = (state: CallState) =>
    state.snapshot.liveTranscripts.map((r) => `${r.segmentId}:${r.text}:${r.isFinal}`);

  it('leaves the state a batch was applied to unchanged, when two batches fork from it', () => {
    let base = apply(started(), [
      { type: 'status', seq: 1, status: 'ringing' },
      { type: 'status', seq: 2, status: 'connected' },
    ]).state;
    base = apply(base, [
      transcript(3, 'a', 'hello', true),
      transcript(4, 'b', 'there', false),
    ]).state;
    const before = rows(base);

    // Fork one: b becomes final, c is new. Fork two: d is new, then c is new there too.
    const one = apply(base, [
      transcript(5, 'b', 'there now', true),
      transcript(6, 'c', 'one', false),
    ]).state;
    const two = apply(base, [
      transcript(5, 'd', 'other', false),
      transcript(6, 'c', 'two', false),
    ]).state;
    expect(rows(base)).toEqual(before);
    expect(rows(one)).toEqual(['a:hello:true', 'b:there now:true', 'c:one:false']);
    expect(rows(two)).toEqual(['a:hello:true', 'b:there:false', 'd:other:false', 'c:two:false']);

    // The shared segment index last placed c where fork two put it; fork one still finds its
    // own row rather than adding a second row for c.
    const oneLater = apply(one, [transcript(7, 'c', 'one done', true)]).state;
    const twoLater = apply(two, [transcript(7, 'c', 'two done', true)]).state;
    expect(rows(oneLater)).toEqual(['a:hello:true', 'b:there now:true', 'c:one done:true']);
    expect(rows(twoLater)).toEqual([
      'a:hello:true',
      'b:there:false',
      'd:other:false',
      'c:two done:true',
    ]);
    expect(rows(one)).toEqual(['a:hello:true', 'b:there now:true', 'c:one:false']);
  });

  it('recounts the running sentiment when a final line is corrected', () => {
    let state = apply(started(), [
      { type: 'status', seq: 1, status: 'ringing' },
      { type: 'status', seq: 2, status: 'connected' },
      transcript(3, 'a', 'That is wonderful, thank you so much!', true),
    ]).state;
    expect(state.snapshot.sentimentAnalysis).toMatchObject({ positivePercentage: 100 });
    expect(state.snapshot.sentimentAnalysis?.lastPositiveMoment).toContain('wonderful');
    state = apply(state, [transcript(4, 'a', 'That is terrible, I hate this.', true)]).state;
    expect(state.snapshot.sentimentAnalysis).toMatchObject({
      positivePercentage: 0,
      negativePercentage: 100,
    });
    expect(state.snapshot.sentimentAnalysis?.lastPositiveMoment).toBeUndefined();
    expect(state.snapshot.sentimentAnalysis?.lastNegativeMoment).toContain('terrible');
  });

  it('applies nothing of a refused batch, even after new rows in it', () => {
    const base = apply(started(), [
      { type: 'status', seq: 1, status: 'ringing' },
      { type: 'status', seq: 2, status: 'connected' },
    ]).state;
    expect(() =>
      applyEvents(
        base,
        [transcript(3, 'x', 'lost', true), { type: 'status', seq: 4, status: 'connecting' }],
        context(1),
      ),
    ).toThrow(EarshotError);
    expect(base.snapshot.liveTranscripts).toEqual([]);
    // The refused batch's segment was never indexed, so it is new on the next try.
    const next = apply(base, [transcript(5, 'x', 'kept', true)]).state;
    expect(rows(next)).toEqual(['x:kept:true']);
  });
});

describe('phases, objectives and cost', () => {
  it('completes the active phase, skips the ones jumped over and keeps currentPhase in step', () => {
    const { state } = apply(started(), [{ type: 'phase', seq: 1, phase: 'Pitch' }], 90);
    const byName = Object.fromEntries(state.snapshot.callPhases.map((p) => [p.phase, p]));
    expect(byName.Opening).toMatchObject({
      status: 'completed',
      endTime: '1:30',
      duration: '1:30',
    });
    expect(byName.Discovery?.status).toBe('skipped');
    expect(byName.Pitch).toMatchObject({ status: 'active', startTime: '1:30' });
    expect(byName.Close?.status).toBe('pending');
    expect(state.snapshot.liveCall.currentPhase).toBe('Pitch');
  });

  it('marks an objective completed with the call time', () => {
    const { state } = apply(
      started(),
      [{ type: 'objective', seq: 1, objective: 'confirm renewal date', status: 'completed' }],
      75,
    );
    expect(state.snapshot.callObjectives[0]).toMatchObject({
      status: 'completed',
      completedAt: '1:15',
    });
  });

  it('accrues totalCost at the last cost per minute over elapsed time', () => {
    const health = (seq: number, costPerMinute: number): IngestEvent => ({
      type: 'health',
      seq,
      providers: { sip: 'Twilio', stt: 'Deepgram', llm: 'OpenAI', tts: 'ElevenLabs' },
      services: { sip: 'connected', stt: 'streaming', llm: 'active', tts: 'active' },
      apiLatency: 120,
      errorRate: 0,
      queueDepth: 0,
      costPerMinute,
    });
    let state = apply(started(), [health(1, 0.1)], 0).state;
    state = apply(state, [health(2, 0.2)], 120).state; // 2 min at 0.10
    expect(state.snapshot.callSystemConfig?.totalCost).toBeCloseTo(0.2);
    const ended = endCall(state, 'completed', context(180)); // 1 more min at 0.20
    expect(ended.state.snapshot.callSystemConfig?.totalCost).toBeCloseTo(0.4);
  });
});

describe('ending a call', () => {
  it('ends, deactivates coaching, rolls up analytics and archives the final transcript', () => {
    let state = apply(started(), [
      { type: 'status', seq: 1, status: 'ringing' },
      { type: 'status', seq: 2, status: 'connected' },
      transcript(3, 'a', 'Hello there', true),
      {
        type: 'transcript',
        seq: 4,
        segmentId: 'b',
        speaker: 'customer',
        text: 'Hi',
        isFinal: true,
        timestamp: '0:07',
      },
      transcript(5, 'c', 'interim only', false),
      {
        type: 'coaching',
        seq: 6,
        coachingType: 'suggestion',
        title: 'Slow down',
        description: 'Pace is high',
        priority: 4,
      },
    ]).state;
    const result = endCall(state, 'customer-hangup', context(300));
    state = result.state;
    expect(state.snapshot.liveCall).toMatchObject({
      status: 'ended',
      endReason: 'customer-hangup',
      duration: 300,
    });
    expect(state.snapshot.coachingRecommendations.every((c) => !c.isActive)).toBe(true);
    const analytics = result.mutations.find((m) => m.table === 'callAnalytics')?.doc;
    expect(analytics).toMatchObject({
      durationSeconds: 300,
      transcriptChunks: 2,
      agentTalkPercentage: 66.67,
      objectivesTotal: 1,
    });
    const archive = result.mutations
      .filter((m) => m.table === 'transcriptArchive')
      .map((m) => m.doc);
    expect(archive.map((line) => ('text' in line ? line.text : ''))).toEqual(['Hello there', 'Hi']);
    expect(() => apply(state, [transcript(7, 'd', 'late', true)])).toThrow(/has ended/);
    expect(endCall(state, 'customer-hangup', context(301)).alreadyEnded).toBe(true);
    expect(() => endCall(state, 'agent-hangup', context(301))).toThrow(/already ended/);
  });

  it("keeps an ended call's rows and lets go of what only a live call uses, also when restored", () => {
    const live = apply(started(), [
      { type: 'status', seq: 1, status: 'ringing' },
      { type: 'status', seq: 2, status: 'connected' },
      transcript(3, 'a', 'Hello there, thanks for calling', true),
      transcript(4, 'b', 'I would like to renew', true),
    ]).state;
    expect(live.signals.lines.length).toBe(2);
    const ended = endCall(live, 'completed', context(120)).state;
    const kept = forEndedCall(ended);
    expect(kept.snapshot).toBe(ended.snapshot);
    expect(kept.signals.lines.length).toBe(0);
    expect(kept.seen.size).toBe(0);
    expect(kept.segmentIndex.size).toBe(0);
    // What may still be done to an ended call works on what it keeps.
    const note = recordSupervisorAction(
      kept,
      { supervisorId: 'u-1', supervisorName: 'Ada', action: 'ADD_NOTE', details: 'Good close' },
      context(130),
    );
    expect(note.state.snapshot.supervisorActions.map((a) => a.details)).toEqual(['Good close']);
    expect(endCall(kept, 'completed', context(140)).alreadyEnded).toBe(true);

    // After a restart the call is read back from its rows: the same rows, and no line rescored.
    const { liveTranscripts, ...rest } = ended.snapshot;
    const restored = restoreCall(
      { ...rest, liveTranscripts: [...liveTranscripts] },
      campaign.script,
      new SeenEvents(),
      ended.startHash,
      campaign,
    );
    expect([...restored.snapshot.liveTranscripts]).toEqual([...ended.snapshot.liveTranscripts]);
    expect(restored.snapshot.liveCall).toEqual(ended.snapshot.liveCall);
    expect(restored.signals.lines.length).toBe(0);
    expect(restored.segmentIndex.size).toBe(0);
  });
});
