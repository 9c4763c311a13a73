// Plans one call, pure and seeded: the start request, every event with the time (ms after the
// start) it is due, and how it ends. Speech is paced at ~2.6 words/s; interim results grow
// two words at a time before the final; audio levels follow the speaker at 10 Hz, with the
// odd overtalk and silence; health every 5 s with occasional latency spikes and errors.
import type { EndReason, IngestEvent, StartCallRequest } from '@earshot/protocol';
import { seededRandom, type Random } from './random.ts';
import {
  AGENTS,
  CUSTOMERS,
  PROVIDERS,
  SCENARIOS,
  type Conversation,
  type Scenario,
} from './scenarios.ts';

/** An event without its seq; the player numbers them in time order. */
export type PlannedEvent = IngestEvent extends infer E
  ? E extends IngestEvent
    ? Omit<E, 'seq'>
    : never
  : never;

export interface CallPlan {
  start: StartCallRequest;
  campaignName: string;
  outcome: Conversation['outcome'];
  events: Array<{ at: number; event: PlannedEvent }>;
  endAt: number;
  endReason: EndReason;
}

const WORDS_PER_SECOND = 2.6;
const AUDIO_EVERY_MS = 100;

function clock(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/**
 * @example
 * const plan = planCall(42, 'sim-42', Date.parse('2026-11-23T10:00:00Z'));
 */
export function planCall(
  seed: number,
  callId: string,
  startedAt: number,
  scenarios: readonly Scenario[] = SCENARIOS,
): CallPlan {
  const random = seededRandom(seed);
  const scenario = random.pick(scenarios);
  const conversation = random.pick(scenario.conversations);
  const agent = random.pick(AGENTS);
  const customer = random.pick(CUSTOMERS);
  const events: CallPlan['events'] = [];
  const add = (at: number, event: PlannedEvent) => events.push({ at: Math.round(at), event });

  const providers = {
    sip: random.pick(PROVIDERS.sip),
    stt: random.pick(PROVIDERS.stt),
    llm: random.pick(PROVIDERS.llm),
    tts: random.pick(PROVIDERS.tts),
  };
  const costPerMinute = Math.round(random.between(0.06, 0.16) * 1000) / 1000;
  const health = (at: number) => {
    const spike = random.chance(0.06);
    const failing = random.chance(0.03);
    add(at, {
      type: 'health',
      providers,
      services: {
        sip: 'connected',
        stt: failing ? 'error' : 'streaming',
        llm: 'active',
        tts: spike && random.chance(0.3) ? 'error' : 'active',
      },
      apiLatency: Math.round(spike ? random.between(900, 2400) : random.between(140, 320)),
      errorRate: Math.round((failing ? random.between(3, 9) : random.between(0, 1)) * 10) / 10,
      queueDepth: spike ? random.int(4, 12) : random.int(0, 2),
      costPerMinute,
    });
  };

  let t = random.between(400, 1500);
  add(t, { type: 'status', status: 'ringing' });
  t += random.between(1500, 4000);
  if (conversation.answered) add(t, { type: 'status', status: 'connected' });
  health(t);
  let nextHealth = t + 5000;

  conversation.lines.forEach(([speaker, template], index) => {
    const text = template
      .replaceAll('{agent}', agent.split(' ')[0]!)
      .replaceAll('{customer}', customer.split(' ')[0]!);
    const words = text.split(' ');
    const duration = (words.length / WORDS_PER_SECOND) * 1000 * random.between(0.85, 1.2);
    const lineStart = t;
    const segmentId = `${callId}-${index}`;
    const confidence = Math.round(random.between(0.78, 0.98) * 100) / 100;
    // Interim results grow two words at a time, then the final replaces them.
    for (let w = 2; w < words.length; w += 2) {
      add(lineStart + (duration * w) / words.length, {
        type: 'transcript',
        segmentId,
        speaker,
        text: words.slice(0, w).join(' '),
        isFinal: false,
        confidence: Math.max(0.5, confidence - 0.15),
        timestamp: clock(lineStart),
      });
    }
    // Audio at 10 Hz following the speaker; the last half second sometimes overlaps the other side.
    const overtalk = random.chance(0.15);
    for (let a = lineStart; a < lineStart + duration; a += AUDIO_EVERY_MS) {
      const tail = overtalk && a > lineStart + duration - 500;
      const loud = Math.round(random.between(52, 74));
      const quiet = tail ? Math.round(random.between(40, 55)) : Math.round(random.between(2, 9));
      add(a, {
        type: 'audio',
        agentGain: speaker === 'agent' ? loud : quiet,
        customerGain: speaker === 'customer' ? loud : quiet,
        currentSpeaker: speaker,
      });
    }
    t = lineStart + duration;
    add(t, {
      type: 'transcript',
      segmentId,
      speaker,
      text,
      isFinal: true,
      confidence,
      timestamp: clock(lineStart),
    });
    while (nextHealth <= t) {
      health(nextHealth);
      nextHealth += 5000;
    }
    if (conversation.holdAfter === index) {
      add(t + 200, { type: 'status', status: 'on-hold' });
      t += random.between(6000, 12000);
      add(t, { type: 'status', status: 'connected' });
    }
    if (conversation.transferAfter === index) {
      add(t + 200, { type: 'status', status: 'transferring' });
      t += random.between(3000, 6000);
    }
    // Silence between turns: usually short, now and then long enough to notice.
    const pause = random.chance(0.08) ? random.between(4000, 9000) : random.between(300, 1500);
    add(t + 50, {
      type: 'audio',
      agentGain: Math.round(random.between(1, 5)),
      customerGain: Math.round(random.between(1, 5)),
      currentSpeaker: null,
    });
    t += pause;
  });

  events.sort((a, b) => a.at - b.at);
  return {
    start: {
      callId,
      agentName: agent,
      customerName: customer,
      customerPhone: phone(random),
      campaignName: scenario.campaign.name,
      sessionId: `sess-${callId}`,
      sipEndpoint: `sip:${agent.split(' ')[0]!.toLowerCase()}@pbx.example.com`,
      startTime: new Date(startedAt).toISOString(),
      isRecording: random.chance(0.8),
      status: 'connecting',
    },
    campaignName: scenario.campaign.name,
    outcome: conversation.outcome,
    events,
    endAt: Math.round(t + random.between(500, 1500)),
    endReason: conversation.endReason,
  };
}

function phone(random: Random): string {
  return `+44 7700 ${String(random.int(900000, 900999))}`;
}

/**
 * `count` events of simulated calls for one call id, numbered by seq: plans follow one another
 * until there are enough, later plans without their status changes (which would replay the
 * ringing and connecting). For benchmarks that need a long, steady stream.
 */
export function plannedEvents(callId: string, seed: number, count: number): IngestEvent[] {
  const events: IngestEvent[] = [];
  for (let part = 0; events.length < count; part++) {
    const plan = planCall(seed * 1000 + part, `${callId}-${part}`, 0);
    for (const { event } of plan.events) {
      if (part > 0 && event.type === 'status') continue;
      if (events.length === count) break;
      events.push({ ...event, seq: events.length + 1 } as IngestEvent);
    }
  }
  return events;
}
