// The analytics engine's cost, pure (no I/O): applying one audio level event (most of what a
// call sends) and one final transcript chunk (sentiment, signals, phase and objective cues,
// coaching and next actions), one 5 s metrics pass over 1,000 live calls, and the memory of
// remembering every accepted event's hash. The per-event figures include the bytes each one
// allocates, which set how often a server collects its young generation.
import type { Campaign, IngestEvent } from '@earshot/protocol';
import {
  applyEvents,
  eventHash,
  SeenEvents,
  startCall,
  tick,
  type CallState,
} from '../packages/engine/src/index.ts';
import { SALES_CAMPAIGN, startRequest } from '../packages/server/test/support/scripted-call.ts';
import { allocatedBytes } from './support/allocation.ts';
import { measure, report } from './support/measure.ts';

const START = Date.parse('2026-11-23T10:00:00.000Z');
let ids = 0;
const newId = () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`;
const campaign: Campaign = {
  _id: '11111111-1111-4111-8111-111111111111',
  _creationTime: START,
  ...SALES_CAMPAIGN,
  description: SALES_CAMPAIGN.description,
  status: 'active',
  script: SALES_CAMPAIGN.script,
  createdAt: START,
  updatedAt: START,
} as Campaign;

const LINES = [
  ['agent', 'You asked for a quote, how much do you currently spend on power each month?'],
  ['customer', 'About two hundred a month, which honestly feels like far too much.'],
  ['agent', 'Our panels typically cut that by half, and the savings start straight away.'],
  ['customer', "That sounds interesting, but I'm not sure we can afford the installation."],
] as const;

function connectedCall(callId: string): CallState {
  let state = startCall(startRequest(callId), campaign, { now: START, newId }).state;
  state = apply(
    state,
    [
      { type: 'status', seq: 1, status: 'ringing' },
      { type: 'status', seq: 2, status: 'connected' },
    ],
    START,
  );
  return state;
}

function apply(state: CallState, events: IngestEvent[], now: number): CallState {
  const result = applyEvents(state, events, { now, newId });
  for (const { seq, hash } of result.accepted) result.state.seen.set(seq, hash);
  return result.state;
}

function chunk(seq: number): IngestEvent {
  const [speaker, text] = LINES[seq % LINES.length]!;
  return {
    type: 'transcript',
    seq,
    segmentId: `seg-${seq}`,
    speaker,
    text,
    isFinal: true,
    timestamp: '1:00',
    confidence: 0.9,
  };
}

export async function run(): Promise<void> {
  // Warm-up on another call, so the figures are those of a running server rather than of the
  // JIT compiling the engine on the first few hundred chunks.
  let warm = connectedCall('bench-warm-up');
  for (let s = 3; s < 1_003; s++) warm = apply(warm, [chunk(s)], START + s * 1000);

  // 50 calls taking turns, each receiving audio levels as a pipeline sends them (most events
  // are these): the speaker changes every 20 events and is sometimes missing (silence).
  const AUDIO_CALLS = 50;
  const audioCalls = Array.from({ length: AUDIO_CALLS }, (_, c) =>
    connectedCall(`bench-audio-${c}`),
  );
  let audioSeq = 3;
  const audioEvent = (index: number): IngestEvent => {
    const turn = Math.floor(index / (20 * AUDIO_CALLS)) % 3;
    return {
      type: 'audio',
      seq: audioSeq,
      agentGain: 40 + (index % 17),
      customerGain: 8 + (index % 5),
      currentSpeaker: turn === 0 ? 'agent' : turn === 1 ? 'customer' : null,
    };
  };
  const applyAudio = (index: number) => {
    const c = index % AUDIO_CALLS;
    audioCalls[c] = apply(audioCalls[c]!, [audioEvent(index)], START + audioSeq * 100);
    if (c === AUDIO_CALLS - 1) audioSeq++;
  };
  for (let i = 0; i < 50_000; i++) applyAudio(i); // warm-up
  const AUDIO_EVENTS = 200_000;
  const audio = await measure(
    `engine: one audio level event (${AUDIO_CALLS} calls taking turns)`,
    'events',
    AUDIO_EVENTS,
    1,
    async (index) => applyAudio(index),
  );
  console.log(report(audio));
  const audioBytes = await allocatedBytes(async () => {
    for (let i = 0; i < AUDIO_EVENTS; i++) applyAudio(i);
  });
  console.log(
    `  allocated: ${Math.round(audioBytes / AUDIO_EVENTS).toLocaleString('en')} bytes an event`,
  );

  // One call receiving 5,000 final chunks: the cost of each, as the call grows.
  let state = connectedCall('bench-chunks');
  let seq = 3;
  const chunks = await measure(
    'engine: one final transcript chunk (call growing to 5,000 lines)',
    'chunks',
    5_000,
    1,
    async () => {
      state = apply(state, [chunk(seq)], START + seq * 1000);
      seq++;
    },
  );
  console.log(report(chunks));
  const CHUNK_SAMPLE = 1_000;
  const chunkBytes = await allocatedBytes(async () => {
    for (let i = 0; i < CHUNK_SAMPLE; i++) {
      state = apply(state, [chunk(seq)], START + seq * 1000);
      seq++;
    }
  });
  console.log(
    `  allocated: ${Math.round(chunkBytes / CHUNK_SAMPLE).toLocaleString('en')} bytes a chunk (${CHUNK_SAMPLE.toLocaleString('en')} more chunks)`,
  );

  // 1,000 live calls of 40 lines each, then whole metrics passes over all of them.
  const calls: CallState[] = [];
  for (let c = 0; c < 1_000; c++) {
    let call = connectedCall(`bench-${c}`);
    for (let s = 3; s < 43; s++) {
      call = apply(
        call,
        [{ type: 'audio', seq: s * 2, agentGain: 60, customerGain: 5, currentSpeaker: 'agent' }],
        START + s * 1000,
      );
      call = apply(call, [chunk(s * 2 + 1)], START + s * 1000 + 500);
    }
    calls.push(call);
  }
  let now = START + 60_000;
  const passes = await measure(
    'engine: metrics pass over 1,000 live calls',
    'calls',
    20,
    1_000,
    async () => {
      now += 5_000;
      for (let i = 0; i < calls.length; i++) calls[i] = tick(calls[i]!, { now, newId }).state;
    },
  );
  console.log(report(passes));

  // What remembering accepted events costs: every call keeps each event's seq and body hash
  // for its life and the retention hour after (a replay is told from a conflict by them).
  // 500 calls × 2,000 events, in the engine's SeenEvents and, for comparison, in a Map of the
  // hex strings (what the engine kept until 2026-11-24).
  const CALLS = 500;
  const EVENTS = 2_000;
  for (const [label, make] of [
    ['Map of hex strings', () => new Map<number, string>()],
    ['SeenEvents', () => new SeenEvents()],
  ] as const) {
    const before = heapAndOffHeap();
    let tables: Array<{ set(seq: number, hash: string): unknown }> = [];
    const remembered = await measure(
      `engine: remembering accepted events (hashing included) in a ${label}, ${CALLS} calls × ${EVENTS.toLocaleString('en')} events`,
      'events',
      CALLS,
      EVENTS,
      async (call) => {
        const table = make();
        for (let seq = 1; seq <= EVENTS; seq++)
          table.set(seq, eventHash({ type: 'audio', seq, agentGain: call % 100, customerGain: 5 }));
        tables.push(table);
      },
    );
    console.log(report(remembered));
    const bytes = heapAndOffHeap() - before;
    console.log(
      `  held: ${(bytes / 1024 / 1024).toFixed(1)} MB, ${(bytes / (CALLS * EVENTS)).toFixed(0)} bytes an event${globalThis.gc ? '' : ' (run with --expose-gc for figures without garbage)'}`,
    );
    tables = [];
  }
}

/** JavaScript heap plus memory outside it (typed arrays), after a full collection if allowed. */
function heapAndOffHeap(): number {
  globalThis.gc?.();
  const memory = process.memoryUsage();
  return memory.heapUsed + memory.external;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
