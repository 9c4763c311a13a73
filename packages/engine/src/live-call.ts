// A live call's state and the pure functions that move it: start, apply a batch of events,
// end. Each returns the new state and the mutations (whole documents to upsert) that the
// server writes behind and publishes. Nothing here does I/O or reads a clock: `now` and
// `newId` come in through the context.
import {
  ACTIONS_ON_CALL,
  ANNOTATION_ACTIONS,
  type AnnotationAction,
  EarshotError,
  type CallObjective,
  type CallPhase,
  type CallSnapshot,
  type CallSystemConfig,
  type Campaign,
  type CampaignScript,
  type CoachingRecommendation,
  type EndReason,
  type IngestEvent,
  type LiveCall,
  type LivePerformanceMetrics,
  type LiveTranscript,
  type NextAction,
  type SentimentAnalysis,
  type PiiKind,
  type RedactionPolicy,
  type Speaker,
  type StartCallRequest,
  type SupervisorAction,
  type SupervisorActionKind,
  type TranscriptEvent,
} from '@earshot/protocol';
import { callSeconds, formatCallClock } from './call-clock.ts';
import { assertTransition } from './call-status.ts';
import { eventHash } from './event-hash.ts';
import type { Mutation } from './mutations.ts';
import { RowList } from './row-list.ts';
import {
  REDACT_ALL,
  redactChunk,
  type Redacted,
  type RedactionCounts,
  type SpeakerTail,
} from './redaction/redact.ts';
import { rollUpCall } from './rollup.ts';
import { adviceNow, COACHING_RULES } from './analytics/coaching.ts';
import { objectivesFromLine, phaseFromCues } from './analytics/detect.ts';
import { computeMetrics, metricInputs } from './analytics/metrics.ts';
import { suggestNextActions } from './analytics/next-actions.ts';
import {
  scoreText,
  summarizeSentiment,
  tallyLines,
  type ScoredLine,
} from './analytics/sentiment.ts';
import {
  emptySignals,
  insertInOrder,
  onAudio,
  onFinalLine,
  type ConversationSignals,
} from './analytics/signals.ts';
import { SeenEvents } from './seen-events.ts';

export interface EngineContext {
  /** Milliseconds since the epoch. */
  now: number;
  /** A new document id (a UUID). */
  newId: () => string;
  /** The redaction stage; replaceable only so tests can make it fail. */
  redact?: typeof redactChunk;
}

/** A call's redaction: its campaign's policy, each speaker's tail, and what it has removed. */
export interface RedactionState {
  readonly policy: RedactionPolicy;
  readonly tails: Readonly<Partial<Record<Speaker, SpeakerTail>>>;
  /** Kinds redacted from final lines so far (the roll-up keeps them). */
  readonly counts: Readonly<RedactionCounts>;
}

export interface CallState {
  /** The call's ten tables; its liveTranscripts is `transcripts`, made into an array on use. */
  readonly snapshot: CallSnapshot;
  /** The transcript rows, in arrival order (their `order` gives conversation order). */
  readonly transcripts: RowList<LiveTranscript>;
  readonly script: CampaignScript;
  /**
   * seq → hash of every accepted event. The engine only reads it; the caller appends the
   * `accepted` entries of each result after applying it (copying it per batch would cost
   * O(events) on every batch).
   */
  readonly seen: SeenEvents;
  /** Hash of the start request, so starting the same call again is recognised. */
  readonly startHash: string;
  readonly lastEventAt: number;
  /** When totalCost last accrued (ms); cost accrues at the last costPerMinute since then. */
  readonly costAccruedAt: number;
  /** What the analytics remember about the conversation. */
  readonly signals: ConversationSignals;
  /** Ids of the engine's own next-action rows, one per priority, updated in place. */
  readonly nextActionIds: Readonly<Record<string, string>>;
  /**
   * segmentId → row index in liveTranscripts, shared by a state and the states made from it.
   * Only a hint: an entry is trusted when that row holds that segment, and a missing entry
   * means no state ever had the segment. Finding the row this way stays O(1) as a call grows
   * to thousands of lines without copying an index per batch; see Draft.segmentRow.
   */
  readonly segmentIndex: SegmentIndex;
  readonly redaction: RedactionState;
}

/** Written only by Draft.state(), never read as the truth (see CallState.segmentIndex). */
export type SegmentIndex = Map<string, number>;

export interface Applied {
  state: CallState;
  mutations: Mutation[];
  /** Events applied by this batch, to append to `seen`. */
  accepted: Array<{ seq: number; hash: string }>;
  duplicates: number;
  /**
   * Seqs of transcript events whose redaction failed: accepted, and neither stored nor
   * published (fail closed). For the caller to count and log, without their text.
   */
  redactionFailures: number[];
}

const EMPTY_SCRIPT: CampaignScript = { phases: [], objectives: [] };

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The start request minus what may differ on an honest retry. */
export function startHash(request: StartCallRequest): string {
  return eventHash(request);
}

/**
 * Creates a call from the pipeline's start request: the liveCalls row, plus the campaign
 * script's phases (the first one active) and objectives (pending).
 */
export function startCall(
  request: StartCallRequest,
  campaign: Campaign | undefined,
  ctx: EngineContext,
): { state: CallState; mutations: Mutation[] } {
  const script = campaign?.script ?? EMPTY_SCRIPT;
  const liveCallId = ctx.newId();
  const firstPhase = script.phases[0]?.name;
  const call: LiveCall = {
    _id: liveCallId,
    _creationTime: ctx.now,
    callId: request.callId,
    agentName: request.agentName,
    customerName: request.customerName,
    customerPhone: request.customerPhone,
    status: request.status,
    startTime: request.startTime,
    duration: Math.round(callSeconds(request.startTime, ctx.now)),
    currentPhase: firstPhase ?? 'Opening',
    ...(campaign ? { campaignId: campaign._id } : {}),
    campaignName: campaign?.name ?? request.campaignName ?? 'Unassigned',
    isRecording: request.isRecording,
    ...(request.isRecording ? { recordingStartTime: iso(ctx.now) } : {}),
    agentGain: 0,
    customerGain: 0,
    ...(request.sipEndpoint ? { sipEndpoint: request.sipEndpoint } : {}),
    sessionId: request.sessionId,
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
  const clock = formatCallClock(callSeconds(request.startTime, ctx.now));
  const callPhases: CallPhase[] = script.phases.map((phase, order) => ({
    _id: ctx.newId(),
    _creationTime: ctx.now,
    liveCallId,
    phase: phase.name,
    status: order === 0 ? 'active' : 'pending',
    ...(order === 0 ? { startTime: clock } : {}),
    order,
  }));
  const callObjectives: CallObjective[] = script.objectives.map((objective, order) => ({
    _id: ctx.newId(),
    _creationTime: ctx.now,
    liveCallId,
    objective: objective.text,
    status: 'pending',
    order,
  }));
  const transcripts = RowList.empty<LiveTranscript>();
  const snapshot = snapshotWith(transcripts, {
    liveCall: call,
    callObjectives,
    nextActions: [],
    livePerformanceMetrics: [],
    supervisorActions: [],
    coachingRecommendations: [],
    callPhases,
    callSystemConfig: undefined,
    sentimentAnalysis: undefined,
  });
  const state: CallState = {
    snapshot,
    transcripts,
    script,
    seen: new SeenEvents(),
    startHash: startHash(request),
    lastEventAt: ctx.now,
    costAccruedAt: ctx.now,
    signals: emptySignals(),
    nextActionIds: {},
    segmentIndex: new Map(),
    redaction: { policy: policyOf(campaign), tails: {}, counts: {} },
  };
  return {
    state,
    mutations: [
      { table: 'liveCalls', doc: call },
      ...callPhases.map((doc) => ({ table: 'callPhases' as const, doc })),
      ...callObjectives.map((doc) => ({ table: 'callObjectives' as const, doc })),
    ],
  };
}

/** The redaction policy of a campaign: anything it does not name is redacted. */
export function policyOf(campaign: Pick<Campaign, 'redaction'> | undefined): RedactionPolicy {
  return { ...REDACT_ALL, ...campaign?.redaction };
}

/**
 * A call's snapshot whose liveTranscripts array is built from the transcript's rows the first
 * time it is read, so that a batch does not copy a long call's transcript (the hot path reads
 * the rows instead). liveTranscripts is an own, enumerable accessor, so a spread, JSON and a
 * structured clone see a plain snapshot; the rows are a private field, which none of them see.
 *
 * A class, not an object literal with a getter: a literal with an accessor is built in V8's
 * dictionary mode, a hash table per object (one object per event), slower to read than a
 * fixed shape. Defining the one shared accessor in the constructor keeps every snapshot on
 * the same fast shape.
 */
class LazySnapshot implements CallSnapshot {
  readonly #rows: RowList<LiveTranscript>;
  #array: LiveTranscript[] | undefined;
  // Declared, not defined as class fields: the constructor creates them in the seed's order,
  // with liveTranscripts second, as clients have always received them.
  declare readonly liveCall: CallSnapshot['liveCall'];
  declare readonly liveTranscripts: LiveTranscript[];
  declare readonly callObjectives: CallSnapshot['callObjectives'];
  declare readonly nextActions: CallSnapshot['nextActions'];
  declare readonly livePerformanceMetrics: CallSnapshot['livePerformanceMetrics'];
  declare readonly supervisorActions: CallSnapshot['supervisorActions'];
  declare readonly coachingRecommendations: CallSnapshot['coachingRecommendations'];
  declare readonly callPhases: CallSnapshot['callPhases'];
  declare readonly callSystemConfig: CallSnapshot['callSystemConfig'];
  declare readonly sentimentAnalysis: CallSnapshot['sentimentAnalysis'];

  constructor(rows: RowList<LiveTranscript>, fields: Omit<CallSnapshot, 'liveTranscripts'>) {
    this.#rows = rows;
    this.liveCall = fields.liveCall;
    Object.defineProperty(this, 'liveTranscripts', TRANSCRIPTS);
    this.callObjectives = fields.callObjectives;
    this.nextActions = fields.nextActions;
    this.livePerformanceMetrics = fields.livePerformanceMetrics;
    this.supervisorActions = fields.supervisorActions;
    this.coachingRecommendations = fields.coachingRecommendations;
    this.callPhases = fields.callPhases;
    this.callSystemConfig = fields.callSystemConfig;
    this.sentimentAnalysis = fields.sentimentAnalysis;
  }

  static transcripts(snapshot: LazySnapshot): LiveTranscript[] {
    return (snapshot.#array ??= snapshot.#rows.toArray());
  }
}

const TRANSCRIPTS: PropertyDescriptor = {
  get(this: LazySnapshot) {
    return LazySnapshot.transcripts(this);
  },
  enumerable: true,
};

function snapshotWith(
  rows: RowList<LiveTranscript>,
  fields: Omit<CallSnapshot, 'liveTranscripts'>,
): CallSnapshot {
  return new LazySnapshot(rows, fields);
}

/** Copy-on-write view of a call's snapshot for one batch: the input state is never mutated. */
class Draft {
  call: LiveCall;
  /** The copy of `call` this batch made and may still change in place (see editCall). */
  private ownCall: LiveCall | undefined;
  /** Lists copied by this batch (most batches copy none, so it is made on first use). */
  private copied: Set<string> | undefined;
  transcripts: RowList<LiveTranscript>;
  readonly lists: {
    callObjectives: CallObjective[];
    nextActions: NextAction[];
    coachingRecommendations: CoachingRecommendation[];
    callPhases: CallPhase[];
  };
  systemConfig: CallSystemConfig | undefined;
  sentiment: SentimentAnalysis | undefined;
  metrics: LivePerformanceMetrics[];
  signals: ConversationSignals;
  private nextActionIdsBase: Readonly<Record<string, string>>;
  private nextActionIdsCopy: Record<string, string> | undefined;
  /** Segments this batch added, written to the shared index once the batch succeeds. */
  private newSegments: Map<string, number> | undefined;
  redaction: RedactionState;
  readonly redactionFailures: number[] = [];
  /** Something the advice depends on changed in this batch. */
  adviceStale = false;
  readonly mutations: Mutation[] = [];
  costAccruedAt: number;

  constructor(
    private readonly base: CallState,
    readonly script: CampaignScript = base.script,
  ) {
    this.call = base.snapshot.liveCall;
    this.transcripts = base.transcripts;
    this.lists = {
      callObjectives: base.snapshot.callObjectives,
      nextActions: base.snapshot.nextActions,
      coachingRecommendations: base.snapshot.coachingRecommendations,
      callPhases: base.snapshot.callPhases,
    };
    this.systemConfig = base.snapshot.callSystemConfig;
    this.sentiment = base.snapshot.sentimentAnalysis;
    this.metrics = base.snapshot.livePerformanceMetrics;
    this.signals = base.signals;
    this.nextActionIdsBase = base.nextActionIds;
    this.costAccruedAt = base.costAccruedAt;
    this.redaction = base.redaction;
  }

  /** The snapshot as this batch has made it so far. */
  current(): CallSnapshot {
    return snapshotWith(this.transcripts, {
      liveCall: this.call,
      ...this.lists,
      supervisorActions: this.base.snapshot.supervisorActions,
      livePerformanceMetrics: this.metrics,
      callSystemConfig: this.systemConfig,
      sentimentAnalysis: this.sentiment,
    });
  }

  /** The next-action ids, for reading. */
  get nextActionIds(): Readonly<Record<string, string>> {
    return this.nextActionIdsCopy ?? this.nextActionIdsBase;
  }

  /** The next-action ids, copied the first time this batch writes to them. */
  writableNextActionIds(): Record<string, string> {
    return (this.nextActionIdsCopy ??= { ...this.nextActionIdsBase });
  }

  /**
   * The call document, to change in place: copied once per batch (an audio event would
   * otherwise copy the whole document twice). A document this batch has already published
   * as a mutation is never changed; assigning `call` a new object also ends the ownership.
   */
  editCall(): LiveCall {
    if (this.ownCall !== this.call) this.call = this.ownCall = { ...this.call };
    return this.call;
  }

  /** Records the call document as a mutation; later edits copy it again. */
  pushCall(): void {
    this.mutations.push({ table: 'liveCalls', doc: this.call });
    this.ownCall = undefined;
  }

  /** The list, copied the first time this batch writes to it. */
  writable<K extends keyof Draft['lists']>(key: K): Draft['lists'][K] {
    this.copied ??= new Set();
    if (!this.copied.has(key)) {
      this.copied.add(key);
      (this.lists[key] as unknown[]) = [...this.lists[key]];
    }
    return this.lists[key];
  }

  /**
   * The row of a segment. The shared index answers in O(1); its entry is checked against the
   * row, because another state made from the same ancestor may have written it. A wrong entry
   * falls back to a scan from the newest row; no entry at all means the segment is new.
   */
  segmentRow(segmentId: string): number | undefined {
    const rows = this.transcripts;
    const hint = this.newSegments?.get(segmentId) ?? this.base.segmentIndex.get(segmentId);
    if (hint === undefined) return undefined;
    if (rows.at(hint)?.segmentId === segmentId) return hint;
    for (let i = rows.length - 1; i >= 0; i--) if (rows.at(i)!.segmentId === segmentId) return i;
    return undefined;
  }

  /** Appends a new segment's row. */
  addSegmentRow(doc: LiveTranscript): void {
    if (doc.segmentId !== undefined)
      (this.newSegments ??= new Map()).set(doc.segmentId, this.transcripts.length);
    this.transcripts = this.transcripts.push(doc);
  }

  state(lastEventAt: number): CallState {
    for (const [segmentId, row] of this.newSegments ?? [])
      this.base.segmentIndex.set(segmentId, row);
    return {
      ...this.base,
      snapshot: this.current(),
      transcripts: this.transcripts,
      lastEventAt,
      costAccruedAt: this.costAccruedAt,
      signals: this.signals,
      nextActionIds: this.nextActionIds,
      redaction: this.redaction,
    };
  }
}

/**
 * Applies a batch of events, all or nothing: any refused event throws (naming
 * `events.<i>.<field>`) and nothing of the batch applies. Replays (same seq, same body) are
 * counted as duplicates and change nothing; the same seq with another body is a 409.
 */
export function applyEvents(
  state: CallState,
  events: readonly IngestEvent[],
  ctx: EngineContext,
): Applied {
  const draft = new Draft(state);
  const accepted: Array<{ seq: number; hash: string }> = [];
  const inBatch = new Map<number, string>();
  let duplicates = 0;

  events.forEach((event, index) => {
    const hash = eventHash(event);
    const previous = state.seen.get(event.seq) ?? inBatch.get(event.seq);
    if (previous !== undefined) {
      if (previous !== hash) {
        throw new EarshotError(
          'conflict',
          `Event seq ${event.seq} was already received with a different body`,
          {
            fields: [{ field: `events.${index}.seq`, message: 'Same seq, different body' }],
          },
        );
      }
      duplicates++;
      return;
    }
    if (draft.call.status === 'ended') {
      throw new EarshotError('conflict', `Call ${draft.call.callId} has ended`, {
        fields: [
          { field: `events.${index}`, message: 'The call is ended; it accepts no more events' },
        ],
      });
    }
    applyOne(draft, event, index, ctx);
    inBatch.set(event.seq, hash);
    accepted.push({ seq: event.seq, hash });
    draft.mutations.push({
      table: 'callEvents',
      doc: {
        liveCallId: draft.call._id,
        seq: event.seq,
        type: event.type,
        hash,
        receivedAt: ctx.now,
      },
    });
  });

  if (accepted.length === 0)
    return { state, mutations: [], accepted, duplicates, redactionFailures: [] };
  if (draft.adviceStale) refreshAdvice(draft, ctx);
  const call = draft.editCall();
  call.duration = Math.max(call.duration, Math.round(callSeconds(call.startTime, ctx.now)));
  call.updatedAt = ctx.now;
  draft.pushCall();
  return {
    state: draft.state(ctx.now),
    mutations: draft.mutations,
    accepted,
    duplicates,
    redactionFailures: draft.redactionFailures,
  };
}

function clockAt(call: LiveCall, now: number): string {
  return formatCallClock(callSeconds(call.startTime, now));
}

function applyOne(draft: Draft, event: IngestEvent, index: number, ctx: EngineContext): void {
  const call = draft.call;
  switch (event.type) {
    case 'transcript':
      return applyTranscript(draft, event, ctx);
    case 'audio': {
      if (!event.currentSpeaker && call.currentSpeaker !== undefined) {
        const { currentSpeaker: _previous, ...rest } = call;
        draft.call = rest;
      }
      const edited = draft.editCall();
      edited.agentGain = event.agentGain;
      edited.customerGain = event.customerGain;
      if (event.currentSpeaker) edited.currentSpeaker = event.currentSpeaker;
      draft.signals = onAudio(
        draft.signals,
        {
          agentGain: event.agentGain,
          customerGain: event.customerGain,
          currentSpeaker: event.currentSpeaker ?? undefined,
        },
        ctx.now,
      );
      return;
    }
    case 'status':
      assertTransition(call.status, event.status, `events.${index}.status`);
      draft.call = { ...call, status: event.status };
      return;
    case 'secure_pause': {
      if (event.active === (call.securePauseSince !== undefined)) return;
      const { securePauseSince: _previous, ...rest } = call;
      draft.call = event.active ? { ...rest, securePauseSince: clockAt(call, ctx.now) } : rest;
      return;
    }
    case 'recording': {
      if (event.isRecording === call.isRecording) return;
      const { recordingStartTime: _previous, ...rest } = call;
      draft.call = event.isRecording
        ? { ...rest, isRecording: true, recordingStartTime: iso(ctx.now) }
        : { ...rest, isRecording: false };
      return;
    }
    case 'phase': {
      // A name is free text from the pipeline's model: usually a script's label, but nothing
      // stops it quoting the customer, so it is redacted like the pipeline's coaching.
      const texts = redactEventTexts(draft, event.seq, [event.phase], ctx);
      if (!texts) return;
      // The pipeline names phases itself from now on: the cue detector stands down.
      draft.signals = { ...draft.signals, explicitPhases: true };
      draft.adviceStale = true;
      return enterPhase(draft, texts[0]!, ctx);
    }
    case 'objective': {
      const texts = redactEventTexts(draft, event.seq, [event.objective], ctx);
      if (!texts) return;
      draft.adviceStale = true;
      return setObjective(draft, texts[0]!, event.status, ctx);
    }
    case 'health': {
      const previous = draft.systemConfig;
      const accrued =
        (previous?.totalCost ?? 0) +
        ((previous?.costPerMinute ?? 0) * (ctx.now - draft.costAccruedAt)) / 60_000;
      draft.costAccruedAt = ctx.now;
      draft.systemConfig = {
        _id: previous?._id ?? ctx.newId(),
        _creationTime: previous?._creationTime ?? ctx.now,
        liveCallId: call._id,
        sipProvider: event.providers.sip,
        sttProvider: event.providers.stt,
        llmProvider: event.providers.llm,
        ttsProvider: event.providers.tts,
        sipStatus: event.services.sip,
        sttStatus: event.services.stt,
        llmStatus: event.services.llm,
        ttsStatus: event.services.tts,
        apiLatency: event.apiLatency,
        errorRate: event.errorRate,
        queueDepth: event.queueDepth,
        costPerMinute: event.costPerMinute,
        totalCost: roundCost(accrued),
        updatedAt: ctx.now,
      };
      draft.mutations.push({ table: 'callSystemConfig', doc: draft.systemConfig });
      return;
    }
    case 'next_action': {
      const texts = redactEventTexts(draft, event.seq, [event.action, event.reason], ctx);
      if (!texts) return;
      const [action, reason] = texts as [string, string];
      const doc: NextAction = {
        _id: ctx.newId(),
        _creationTime: ctx.now,
        liveCallId: call._id,
        action,
        priority: event.priority,
        reason,
        suggestedAt: clockAt(call, ctx.now),
        order: event.seq,
      };
      draft.writable('nextActions').push(doc);
      draft.mutations.push({ table: 'nextActions', doc });
      return;
    }
    case 'coaching': {
      const texts = redactEventTexts(draft, event.seq, [event.title, event.description], ctx);
      if (!texts) return;
      const [title, description] = texts as [string, string];
      const { coachingType: type, priority } = event;
      addCoaching(draft, { type, title, description, priority }, clockAt(call, ctx.now), ctx);
      return;
    }
  }
}

function roundCost(value: number): number {
  return Math.round(value * 1_000_000) / 1_000_000;
}

/**
 * One row per segment. Its text is the result that ranks highest by (final before interim,
 * then higher seq), and its order is the lowest seq seen for the segment, so the rows come
 * out the same whatever order the results arrive in.
 */
function applyTranscript(draft: Draft, event: TranscriptEvent, ctx: EngineContext): void {
  // During a secure pause nothing of the transcript is kept, not even redacted.
  if (draft.call.securePauseSince !== undefined) return;
  const text = redactTranscript(draft, event, ctx);
  if (text === undefined) return;
  const index = draft.segmentRow(event.segmentId);
  const result = {
    timestamp: event.timestamp,
    speaker: event.speaker,
    text,
    isFinal: event.isFinal,
    seq: event.seq,
    ...(event.confidence !== undefined ? { confidence: event.confidence } : {}),
  };
  if (index === undefined) {
    const doc: LiveTranscript = {
      _id: ctx.newId(),
      _creationTime: ctx.now,
      liveCallId: draft.call._id,
      segmentId: event.segmentId,
      ...result,
      order: event.seq,
      createdAt: ctx.now,
    };
    const analysed = doc.isFinal ? analyseFinal(draft, doc, ctx) : doc;
    draft.addSegmentRow(analysed);
    draft.mutations.push({ table: 'liveTranscripts', doc: analysed });
    return;
  }
  const existing = draft.transcripts.at(index)!;
  const wins =
    (event.isFinal && !existing.isFinal) ||
    (event.isFinal === existing.isFinal && event.seq > (existing.seq ?? 0));
  const order = Math.min(existing.order, event.seq);
  if (!wins && order === existing.order) return;
  let doc: LiveTranscript;
  if (wins) {
    const { confidence: _old, sentiment: _stale, ...kept } = existing;
    doc = { ...kept, ...result, order };
  } else {
    doc = { ...existing, order };
  }
  // A line becoming final is analysed once; later finals of the same segment replace its text.
  if (doc.isFinal && (!existing.isFinal || doc.text !== existing.text))
    doc = analyseFinal(draft, doc, ctx, existing.isFinal);
  draft.transcripts = draft.transcripts.set(index, doc);
  draft.mutations.push({ table: 'liveTranscripts', doc });
}

/**
 * The event's text with personal data replaced, before anything else sees it. A final moves
 * its speaker's tail and adds to the counts. If redaction fails, the chunk is dropped (fail
 * closed): the caller learns its seq, never its text.
 */
function redactTranscript(
  draft: Draft,
  event: TranscriptEvent,
  ctx: EngineContext,
): string | undefined {
  const { policy, tails, counts } = draft.redaction;
  let redacted: Redacted;
  try {
    redacted = (ctx.redact ?? redactChunk)(event.text, tails[event.speaker], policy);
  } catch {
    draft.redactionFailures.push(event.seq);
    return undefined;
  }
  if (event.isFinal) {
    const added = { ...counts };
    for (const [kind, n] of Object.entries(redacted.counts) as Array<[PiiKind, number]>)
      added[kind] = (added[kind] ?? 0) + n;
    draft.redaction = {
      policy,
      tails: { ...tails, [event.speaker]: redacted.tail },
      counts: added,
    };
  }
  return redacted.text;
}

/** Text no speaker said (so no tail), redacted under `policy`; throws if the stage fails. */
function redactUnspoken(policy: RedactionPolicy, text: string, ctx: EngineContext): string {
  return (ctx.redact ?? redactChunk)(text, undefined, policy).text;
}

/**
 * A pipeline's own coaching, next action, phase or objective name, written by its model,
 * redacted like a transcript chunk (no speaker, so no tail). If redaction fails the event is accepted and nothing of it
 * is kept, as with a transcript chunk: undefined, and its seq is reported.
 */
function redactEventTexts(
  draft: Draft,
  seq: number,
  texts: string[],
  ctx: EngineContext,
): string[] | undefined {
  try {
    return texts.map((text) => redactUnspoken(draft.redaction.policy, text, ctx));
  } catch {
    draft.redactionFailures.push(seq);
    return undefined;
  }
}

/**
 * A final line: its sentiment, the conversation signals it carries, the call's running
 * sentiment, and the phase and objectives it moves (cue detection).
 */
function analyseFinal(
  draft: Draft,
  doc: LiveTranscript,
  ctx: EngineContext,
  replacing = false,
): LiveTranscript {
  const { compound, label } = scoreText(doc.text);
  const line: ScoredLine = {
    order: doc.order,
    compound,
    label,
    speaker: doc.speaker,
    clock: doc.timestamp,
    text: doc.text,
  };
  const pitchReached = draft.lists.callPhases.some(
    (p) =>
      /pitch|value|offer|present|solution|demo/i.test(p.phase) &&
      (p.status === 'active' || p.status === 'completed'),
  );
  if (!replacing) {
    draft.signals = onFinalLine(draft.signals, line, doc.confidence, {
      now: ctx.now,
      inPitchOrLater: pitchReached,
    });
  } else {
    // A corrected final: replace its line rather than count it twice.
    const others = RowList.from(draft.signals.lines.toArray().filter((l) => l.order !== doc.order));
    const lines = insertInOrder(others, line);
    draft.signals = { ...draft.signals, lines, tally: tallyLines(lines) };
  }
  const summary = summarizeSentiment(draft.signals.lines, draft.signals.tally);
  draft.sentiment = {
    _id: draft.sentiment?._id ?? ctx.newId(),
    _creationTime: draft.sentiment?._creationTime ?? ctx.now,
    liveCallId: draft.call._id,
    ...summary,
    updatedAt: ctx.now,
  };
  draft.mutations.push({ table: 'sentimentAnalysis', doc: draft.sentiment });

  if (!draft.signals.explicitPhases) {
    const phase = phaseFromCues(draft.lists.callPhases, draft.script, doc.text);
    if (phase) enterPhase(draft, phase, ctx);
  }
  for (const change of objectivesFromLine(draft.lists.callObjectives, draft.script, doc.text)) {
    setObjective(draft, change.objective.objective, change.status, ctx);
  }
  draft.adviceStale = true;
  return { ...doc, sentiment: label };
}

/** A new active coaching recommendation on the call. */
function addCoaching(
  draft: Draft,
  item: Pick<CoachingRecommendation, 'type' | 'title' | 'description' | 'priority'>,
  clock: string,
  ctx: EngineContext,
): void {
  const doc: CoachingRecommendation = {
    _id: ctx.newId(),
    _creationTime: ctx.now,
    liveCallId: draft.call._id,
    ...item,
    timestamp: clock,
    isActive: true,
  };
  draft.writable('coachingRecommendations').push(doc);
  draft.mutations.push({ table: 'coachingRecommendations', doc });
}

/** Coaching and next actions as the call stands now: new advice added, stale advice retired. */
function refreshAdvice(draft: Draft, ctx: EngineContext): void {
  const snapshot = draft.current();
  const advice = adviceNow({ signals: draft.signals, snapshot, now: ctx.now });
  const ruleTitles = new Set(COACHING_RULES.map((r) => r.title));
  const coaching = draft.writable('coachingRecommendations');
  const clock = clockAt(draft.call, ctx.now);
  coaching.forEach((recommendation, i) => {
    if (!recommendation.isActive || !ruleTitles.has(recommendation.title)) return;
    if (advice.some((a) => a.title === recommendation.title)) return;
    coaching[i] = { ...recommendation, isActive: false }; // resolved
    draft.mutations.push({ table: 'coachingRecommendations', doc: coaching[i] });
  });
  for (const item of advice) {
    if (coaching.some((c) => c.isActive && c.title === item.title)) continue; // never duplicated
    addCoaching(draft, item, clock, ctx);
  }

  const actions = draft.writable('nextActions');
  suggestNextActions(draft.signals, snapshot, draft.script).forEach((suggestion, order) => {
    const id = draft.nextActionIds[suggestion.priority];
    const index = id ? actions.findIndex((a) => a._id === id) : -1;
    const existing = index >= 0 ? actions[index] : undefined;
    if (existing && existing.action === suggestion.action && existing.reason === suggestion.reason)
      return;
    const doc: NextAction = {
      _id: existing?._id ?? ctx.newId(),
      _creationTime: existing?._creationTime ?? ctx.now,
      liveCallId: draft.call._id,
      action: suggestion.action,
      priority: suggestion.priority,
      reason: suggestion.reason,
      suggestedAt: clock,
      order,
    };
    if (existing) actions[index] = doc;
    else actions.push(doc);
    draft.writableNextActionIds()[suggestion.priority] = doc._id;
    draft.mutations.push({ table: 'nextActions', doc });
  });
}

/** Calls in these states get a metrics pass every tick. */
const TICKING = new Set(['connected', 'on-hold', 'transferring']);

/**
 * The 5-second pass over a connected call: a livePerformanceMetrics row, the call's duration,
 * and time-based coaching (talk share, monologue, silence) and next actions refreshed.
 */
export function tick(
  state: CallState,
  ctx: EngineContext,
): { state: CallState; mutations: Mutation[] } {
  if (!TICKING.has(state.snapshot.liveCall.status)) return { state, mutations: [] };
  const draft = new Draft(state);
  const seconds = callSeconds(draft.call.startTime, ctx.now);
  const metrics: LivePerformanceMetrics = {
    _id: ctx.newId(),
    _creationTime: ctx.now,
    liveCallId: draft.call._id,
    ...computeMetrics(metricInputs(draft.signals, draft.current(), seconds)),
    updatedAt: ctx.now,
  };
  draft.metrics = [...draft.metrics, metrics];
  draft.mutations.push({ table: 'livePerformanceMetrics', doc: metrics });
  refreshAdvice(draft, ctx);
  draft.call = {
    ...draft.call,
    duration: Math.max(draft.call.duration, Math.round(seconds)),
    updatedAt: ctx.now,
  };
  draft.mutations.push({ table: 'liveCalls', doc: draft.call });
  return { state: draft.state(state.lastEventAt), mutations: draft.mutations };
}

function sameName(a: string, b: string): boolean {
  return a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;
}

/** The call enters a phase: the active one completes, earlier pending ones are skipped. */
function enterPhase(draft: Draft, name: string, ctx: EngineContext): void {
  const phases = draft.writable('callPhases');
  const clock = clockAt(draft.call, ctx.now);
  let target = phases.findIndex((p) => sameName(p.phase, name));
  if (target >= 0 && phases[target]!.status === 'active') return;
  if (target < 0) {
    const order = phases.reduce((max, p) => Math.max(max, p.order + 1), 0);
    phases.push({
      _id: ctx.newId(),
      _creationTime: ctx.now,
      liveCallId: draft.call._id,
      phase: name,
      status: 'pending',
      order,
    });
    target = phases.length - 1;
  }
  const targetOrder = phases[target]!.order;
  phases.forEach((phase, i) => {
    let next: CallPhase | undefined;
    if (i === target) {
      const { endTime: _e, duration: _d, ...rest } = phase;
      next = { ...rest, status: 'active', startTime: clock };
    } else if (phase.status === 'active') {
      const seconds = callSeconds(draft.call.startTime, ctx.now) - clockSeconds(phase.startTime);
      next = {
        ...phase,
        status: 'completed',
        endTime: clock,
        duration: formatCallClock(seconds),
        ...phaseQuality(draft, phase, clock),
      };
    } else if (phase.status === 'pending' && phase.order < targetOrder) {
      next = { ...phase, status: 'skipped' };
    }
    if (next) {
      phases[i] = next;
      draft.mutations.push({ table: 'callPhases', doc: next });
    }
  });
  draft.call = { ...draft.call, currentPhase: phases[target]!.phase };
}

/**
 * A completed phase's grade from the mean sentiment of the final lines spoken in it:
 * ≥ 0.3 excellent, ≥ 0.05 good, > −0.2 fair, else poor. No lines, no grade.
 */
function phaseQuality(
  draft: Draft,
  phase: CallPhase,
  endClock: string,
): Pick<CallPhase, 'quality'> {
  const start = clockSeconds(phase.startTime);
  const end = clockSeconds(endClock);
  const lines = draft.signals.lines.toArray().filter((l) => {
    const at = clockSeconds(l.clock);
    return at >= start && at <= end;
  });
  if (lines.length === 0) return {};
  const mean = lines.reduce((sum, l) => sum + l.compound, 0) / lines.length;
  return {
    quality: mean >= 0.3 ? 'excellent' : mean >= 0.05 ? 'good' : mean > -0.2 ? 'fair' : 'poor',
  };
}

function clockSeconds(clock: string | undefined): number {
  if (!clock) return 0;
  const parts = clock.split(':').map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

function setObjective(
  draft: Draft,
  text: string,
  status: CallObjective['status'],
  ctx: EngineContext,
): void {
  const objectives = draft.writable('callObjectives');
  let index = objectives.findIndex((o) => sameName(o.objective, text));
  if (index < 0) {
    const order = objectives.reduce((max, o) => Math.max(max, o.order + 1), 0);
    objectives.push({
      _id: ctx.newId(),
      _creationTime: ctx.now,
      liveCallId: draft.call._id,
      objective: text,
      status: 'pending',
      order,
    });
    index = objectives.length - 1;
  }
  const { completedAt: _old, ...rest } = objectives[index]!;
  const doc: CallObjective =
    status === 'completed'
      ? { ...rest, status, completedAt: clockAt(draft.call, ctx.now) }
      : { ...rest, status };
  if (status === 'completed' && objectives[index]!.status !== 'completed') {
    draft.signals = { ...draft.signals, lastCompletion: { objective: doc.objective, at: ctx.now } };
  }
  objectives[index] = doc;
  draft.mutations.push({ table: 'callObjectives', doc });
}

/**
 * Ends the call: status "ended" with endedAt and endReason, every coaching recommendation
 * inactive, the active phase completed, cost accrued to the end, and the permanent record
 * (callAnalytics and the archived final transcript). Ending an ended call with the same
 * reason changes nothing; with another reason it is a 409.
 */
export function endCall(
  state: CallState,
  reason: EndReason,
  ctx: EngineContext,
): { state: CallState; mutations: Mutation[]; alreadyEnded: boolean } {
  const call = state.snapshot.liveCall;
  if (call.status === 'ended') {
    if (call.endReason === reason) return { state, mutations: [], alreadyEnded: true };
    throw new EarshotError(
      'conflict',
      `Call ${call.callId} already ended (${call.endReason ?? 'unknown'})`,
      {
        fields: [
          { field: 'reason', message: `The call ended with reason ${call.endReason ?? 'unknown'}` },
        ],
      },
    );
  }
  const draft = new Draft(state);
  const clock = clockAt(call, ctx.now);

  const phases = draft.writable('callPhases');
  phases.forEach((phase, i) => {
    if (phase.status !== 'active') return;
    const seconds = callSeconds(call.startTime, ctx.now) - clockSeconds(phase.startTime);
    phases[i] = {
      ...phase,
      status: 'completed',
      endTime: clock,
      duration: formatCallClock(seconds),
      ...phaseQuality(draft, phase, clock),
    };
    draft.mutations.push({ table: 'callPhases', doc: phases[i] });
  });

  const coaching = draft.writable('coachingRecommendations');
  coaching.forEach((recommendation, i) => {
    if (!recommendation.isActive) return;
    coaching[i] = { ...recommendation, isActive: false };
    draft.mutations.push({ table: 'coachingRecommendations', doc: coaching[i] });
  });

  if (draft.systemConfig) {
    const accrued =
      draft.systemConfig.totalCost +
      (draft.systemConfig.costPerMinute * (ctx.now - draft.costAccruedAt)) / 60_000;
    draft.systemConfig = {
      ...draft.systemConfig,
      totalCost: roundCost(accrued),
      updatedAt: ctx.now,
    };
    draft.costAccruedAt = ctx.now;
    draft.mutations.push({ table: 'callSystemConfig', doc: draft.systemConfig });
  }

  const { currentSpeaker: _speaker, ...rest } = call;
  draft.call = {
    ...rest,
    status: 'ended',
    endedAt: iso(ctx.now),
    endReason: reason,
    duration: Math.round(callSeconds(call.startTime, ctx.now)),
    updatedAt: ctx.now,
  };
  draft.mutations.push({ table: 'liveCalls', doc: draft.call });

  const ended = draft.state(ctx.now);
  const { analytics, archive } = rollUpCall(ended.snapshot, ctx, ended.redaction.counts);
  draft.mutations.push({ table: 'callAnalytics', doc: analytics });
  for (const doc of archive) draft.mutations.push({ table: 'transcriptArchive', doc });
  return { state: ended, mutations: draft.mutations, alreadyEnded: false };
}

/** Coaching and next actions from an outside adviser (an LLM), in the seed's shapes. */
export interface OutsideAdvice {
  coaching: Array<{
    type: CoachingRecommendation['type'];
    title: string;
    description: string;
    priority: number;
  }>;
  nextActions: Array<{ action: string; priority: NextAction['priority']; reason: string }>;
}

export interface SupervisorActionInput {
  supervisorId: string;
  supervisorName: string;
  action: SupervisorActionKind;
  details?: string;
  /** A voice platform is configured: actions on the call go to it through the outbox. */
  deliver?: boolean;
}

/**
 * Records a supervisor's action on the call (one supervisorActions row, in order). A bookmark
 * records the call time in its details. Notes, bookmarks and flags are accepted after the
 * call ends (while its live rows are kept); actions on the call itself are not.
 */
function isAnnotation(action: SupervisorActionKind): action is AnnotationAction {
  return (ANNOTATION_ACTIONS as readonly string[]).includes(action);
}

export function recordSupervisorAction(
  state: CallState,
  input: SupervisorActionInput,
  ctx: EngineContext,
): { state: CallState; mutations: Mutation[]; action: SupervisorAction } {
  const call = state.snapshot.liveCall;
  const actsOnCall = ACTIONS_ON_CALL.has(input.action);
  if (call.status === 'ended' && actsOnCall) {
    throw new EarshotError('conflict', `Call ${call.callId} has ended`, {
      fields: [{ field: 'action', message: `${input.action} needs a live call` }],
    });
  }
  const clock = clockAt(
    call,
    call.status === 'ended' && call.endedAt ? Date.parse(call.endedAt) : ctx.now,
  );
  // A supervisor may quote the customer: the text is redacted before it is stored, published,
  // kept as an annotation or sent to the voice platform.
  const written =
    input.details === undefined ? undefined : redactFreeText(state, input.details, 'details', ctx);
  const details =
    input.action === 'BOOKMARK_MOMENT' ? (written ? `${clock} ${written}` : clock) : written;
  const action: SupervisorAction = {
    _id: ctx.newId(),
    _creationTime: ctx.now,
    liveCallId: call._id,
    supervisorId: input.supervisorId,
    supervisorName: input.supervisorName,
    action: input.action,
    ...(details !== undefined ? { details } : {}),
    timestamp: iso(ctx.now),
    order: state.snapshot.supervisorActions.length,
    ...(actsOnCall
      ? { delivery: { status: input.deliver ? 'pending' : 'not_configured', attempts: 0 } }
      : {}),
  };
  const mutations: Mutation[] = [{ table: 'supervisorActions', doc: action }];
  if (isAnnotation(input.action)) {
    mutations.push({
      table: 'callAnnotations',
      doc: {
        _id: action._id,
        _creationTime: ctx.now,
        callId: call.callId,
        ...(call.campaignId ? { campaignId: call.campaignId } : {}),
        action: input.action,
        ...(details !== undefined ? { details } : {}),
        supervisorId: action.supervisorId,
        supervisorName: action.supervisorName,
        timestamp: action.timestamp,
        createdAt: ctx.now,
      },
    });
  }
  if (actsOnCall && input.deliver) {
    // Written in the same commit as the action: it is delivered if and only if it exists.
    mutations.push({
      table: 'outbox',
      doc: {
        _id: ctx.newId(),
        _creationTime: ctx.now,
        liveCallId: call._id,
        callId: call.callId,
        actionId: action._id,
        payload: {
          id: action._id,
          type: action.action,
          callId: call.callId,
          sessionId: call.sessionId,
          ...(details !== undefined ? { details } : {}),
          supervisor: { id: action.supervisorId, name: action.supervisorName },
          requestedAt: action.timestamp,
        },
        status: 'pending',
        attempts: 0,
        nextAttemptAt: ctx.now,
        createdAt: ctx.now,
      },
    });
  }
  return {
    state: withActions(state, [...state.snapshot.supervisorActions, action]),
    mutations,
    action,
  };
}

function withActions(state: CallState, supervisorActions: SupervisorAction[]): CallState {
  const { liveTranscripts: _rows, ...fields } = state.snapshot;
  return { ...state, snapshot: snapshotWith(state.transcripts, { ...fields, supervisorActions }) };
}

/** Records where an action's delivery to the voice platform stands (from the dispatcher). */
export function setActionDelivery(
  state: CallState,
  actionId: string,
  delivery: NonNullable<SupervisorAction['delivery']>,
): { state: CallState; mutations: Mutation[] } {
  const actions = state.snapshot.supervisorActions;
  const index = actions.findIndex((a) => a._id === actionId);
  if (index < 0) return { state, mutations: [] };
  const doc: SupervisorAction = { ...actions[index]!, delivery };
  const next = [...actions];
  next[index] = doc;
  return { state: withActions(state, next), mutations: [{ table: 'supervisorActions', doc }] };
}

/**
 * Adds an outside adviser's coaching and next actions to a live call. A recommendation whose
 * title is already active is not added again; nothing is added to an ended call.
 */
export function addAdvice(
  state: CallState,
  advice: OutsideAdvice,
  ctx: EngineContext,
): { state: CallState; mutations: Mutation[] } {
  if (state.snapshot.liveCall.status === 'ended') return { state, mutations: [] };
  advice = redactAdvice(state, advice, ctx);
  const draft = new Draft(state);
  const clock = clockAt(draft.call, ctx.now);
  const coaching = draft.writable('coachingRecommendations');
  for (const item of advice.coaching) {
    if (coaching.some((c) => c.isActive && c.title === item.title)) continue;
    addCoaching(draft, item, clock, ctx);
  }
  const actions = draft.writable('nextActions');
  for (const item of advice.nextActions) {
    if (actions.some((a) => a.action === item.action)) continue;
    const doc: NextAction = {
      _id: ctx.newId(),
      _creationTime: ctx.now,
      liveCallId: draft.call._id,
      action: item.action,
      priority: item.priority,
      reason: item.reason,
      suggestedAt: clock,
      order: actions.length,
    };
    actions.push(doc);
    draft.mutations.push({ table: 'nextActions', doc });
  }
  return { state: draft.state(state.lastEventAt), mutations: draft.mutations };
}

/**
 * Text that did not come from the call's audio (a supervisor's note, an adviser's coaching)
 * with personal data replaced under the call's policy, as a transcript chunk is. It has no
 * speaker, so no tail. If the redaction stage fails, the whole change is refused (500 naming
 * `field`): nothing unchecked is stored or sent, and the caller may try again.
 */
function redactFreeText(state: CallState, text: string, field: string, ctx: EngineContext): string {
  try {
    return redactUnspoken(state.redaction.policy, text, ctx);
  } catch {
    throw new EarshotError('internal', 'The text could not be checked for personal data', {
      fields: [{ field, message: 'Redaction failed; nothing was recorded' }],
    });
  }
}

/**
 * An adviser reads only redacted transcripts, but a model may still write digits or an
 * address of its own: its text goes through the same redaction.
 */
function redactAdvice(state: CallState, advice: OutsideAdvice, ctx: EngineContext): OutsideAdvice {
  const text = (value: string, field: string) => redactFreeText(state, value, field, ctx);
  return {
    coaching: advice.coaching.map((item, i) => ({
      ...item,
      title: text(item.title, `coaching.${i}.title`),
      description: text(item.description, `coaching.${i}.description`),
    })),
    nextActions: advice.nextActions.map((item, i) => ({
      ...item,
      action: text(item.action, `nextActions.${i}.action`),
      reason: text(item.reason, `nextActions.${i}.reason`),
    })),
  };
}

/** Rebuilds a call's state from what the store holds (after a restart). */
export function restoreCall(
  snapshot: CallSnapshot,
  script: CampaignScript | undefined,
  seen: SeenEvents,
  startHashValue: string,
  campaign?: Pick<Campaign, 'redaction'>,
): CallState {
  const { liveTranscripts, ...fields } = snapshot;
  const transcripts = RowList.from(liveTranscripts);
  return {
    snapshot: snapshotWith(transcripts, fields),
    transcripts,
    script: script ?? EMPTY_SCRIPT,
    seen,
    startHash: startHashValue,
    lastEventAt: snapshot.liveCall.updatedAt,
    costAccruedAt: snapshot.callSystemConfig?.updatedAt ?? snapshot.liveCall.createdAt,
    // Lines are re-read after a restart; audio timing since the start is not kept.
    signals: [...liveTranscripts]
      .filter((t) => t.isFinal)
      .sort((a, b) => a.order - b.order)
      .reduce((signals, t) => {
        const { compound, label } = scoreText(t.text);
        return onFinalLine(
          signals,
          { order: t.order, compound, label, speaker: t.speaker, clock: t.timestamp, text: t.text },
          t.confidence,
          {
            now: snapshot.liveCall.updatedAt,
            inPitchOrLater: false,
          },
        );
      }, emptySignals()),
    nextActionIds: {},
    segmentIndex: new Map(
      liveTranscripts.flatMap((row, index) =>
        row.segmentId === undefined ? [] : [[row.segmentId, index] as const],
      ),
    ),
    // Tails and counts are not stored: after a restart a number split across the restart is
    // judged on its own, and the roll-up counts only what was redacted since.
    redaction: { policy: policyOf(campaign), tails: {}, counts: {} },
  };
}
