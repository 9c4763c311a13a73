// A scripted call: a start request and a deterministic mix of every event kind, the way a
// voice pipeline sends them (interims growing into finals, audio levels, health, status...).
import type { CreateCampaignRequest, IngestEvent, StartCallRequest } from '@earshot/protocol';

export const SALES_CAMPAIGN: CreateCampaignRequest = {
  name: 'Solar upgrade outbound',
  description: 'Outbound calls to homeowners who asked for a quote',
  type: 'Outbound',
  status: 'active',
  script: {
    phases: [
      { name: 'Opening', description: 'Greet, confirm identity', cues: ['calling from'] },
      { name: 'Discovery', description: 'Understand needs', cues: ['how much', 'currently'] },
      { name: 'Pitch', description: 'Present the offer', cues: ['our panels'] },
      { name: 'Close', description: 'Book the survey', cues: ['book'] },
    ],
    objectives: [
      { text: 'Confirm identity', completionCues: ['speaking'] },
      { text: 'Book a home survey', completionCues: ['booked'] },
    ],
  },
};

export function startRequest(
  callId: string,
  overrides: Partial<StartCallRequest> = {},
): StartCallRequest {
  return {
    callId,
    agentName: 'Dana Whitfield',
    customerName: 'Sam Okafor',
    customerPhone: '+44 7700 900123',
    campaignName: SALES_CAMPAIGN.name,
    sessionId: `session-${callId}`,
    sipEndpoint: 'sip:agent42@pbx.example.com',
    startTime: '2026-11-23T10:00:00.000Z',
    isRecording: true,
    status: 'connecting',
    ...overrides,
  };
}

const LINES: Array<['agent' | 'customer', string]> = [
  ['agent', 'Hi, this is Dana calling from Brightside Solar.'],
  ['customer', 'Oh hi, yes, speaking.'],
  ['agent', 'You asked for a quote, how much do you currently spend on power?'],
  ['customer', 'About two hundred a month, which feels like a lot.'],
  ['agent', 'Our panels typically cut that by half.'],
  ['customer', 'That sounds interesting, what does it cost?'],
  ['agent', 'Can I book a free survey to give you an exact figure?'],
  ['customer', 'Sure, Thursday works, you can book it.'],
];

/** An event without its seq (distributes over the union, so each kind keeps its fields). */
type EventBody = IngestEvent extends infer E
  ? E extends IngestEvent
    ? Omit<E, 'seq'>
    : never
  : never;

/** `count` events with seq 1..count: every kind, transcripts as interims then a final. */
export function scriptedEvents(count = 200): IngestEvent[] {
  const events: IngestEvent[] = [];
  const push = (event: EventBody) => {
    if (events.length < count) events.push({ ...event, seq: events.length + 1 } as IngestEvent);
  };
  push({ type: 'status', status: 'ringing' });
  push({ type: 'status', status: 'connected' });
  const health = (costPerMinute: number, latency: number) =>
    push({
      type: 'health',
      providers: { sip: 'Twilio', stt: 'Deepgram', llm: 'OpenAI', tts: 'ElevenLabs' },
      services: {
        sip: 'connected',
        stt: 'streaming',
        llm: 'active',
        tts: latency > 900 ? 'error' : 'active',
      },
      apiLatency: latency,
      errorRate: latency > 900 ? 4 : 0.5,
      queueDepth: latency > 900 ? 7 : 1,
      costPerMinute,
    });
  health(0.12, 180);
  let line = 0;
  let second = 0;
  while (events.length < count) {
    const [speaker, text] = LINES[line % LINES.length]!;
    const words = text.split(' ');
    const segmentId = `seg-${line}`;
    const clock = `${Math.floor(second / 60)}:${String(second % 60).padStart(2, '0')}`;
    for (let w = 1; w < words.length; w += 2) {
      push({
        type: 'transcript',
        segmentId,
        speaker,
        text: words.slice(0, w).join(' '),
        isFinal: false,
        timestamp: clock,
        confidence: 0.7,
      });
      push({
        type: 'audio',
        agentGain: speaker === 'agent' ? 64 : 8,
        customerGain: speaker === 'customer' ? 58 : 6,
        currentSpeaker: speaker,
      });
    }
    push({
      type: 'transcript',
      segmentId,
      speaker,
      text,
      isFinal: true,
      timestamp: clock,
      confidence: 0.94,
    });
    if (line === 1) push({ type: 'objective', objective: 'Confirm identity', status: 'completed' });
    if (line === 2) push({ type: 'phase', phase: 'Discovery' });
    if (line === 3)
      push({
        type: 'next_action',
        action: 'Quantify the saving',
        priority: 'immediate',
        reason: 'Customer named a monthly spend',
      });
    if (line === 4) push({ type: 'phase', phase: 'Pitch' });
    if (line === 5) {
      push({
        type: 'coaching',
        coachingType: 'suggestion',
        title: 'Anchor on value before price',
        description: 'The customer asked about cost; restate the saving first.',
        priority: 6,
      });
      health(0.12, 950);
    }
    if (line === 6) push({ type: 'status', status: 'on-hold' });
    if (line === 6) push({ type: 'status', status: 'connected' });
    if (line === 7) push({ type: 'phase', phase: 'Close' });
    if (line === 7)
      push({ type: 'objective', objective: 'Book a home survey', status: 'completed' });
    if (line === 7) push({ type: 'recording', isRecording: false });
    line++;
    second += 6;
  }
  return events;
}
