// A live call's state: its types, how a call starts and is rebuilt after a restart, and the
// copy-on-write Draft through which one batch changes it. The functions that move a call are
// beside it: live-call.ts (events, ticks, the end), supervisor-actions.ts, outside-advice.ts.
import {
  EarshotError,
  type CallObjective,
  type CallPhase,
  type CallSnapshot,
  type CallSystemConfig,
  type Campaign,
  type CampaignScript,
  type CoachingRecommendation,
  type LiveCall,
  type LivePerformanceMetrics,
  type LiveTranscript,
  type NextAction,
  type PiiKind,
  type SentimentAnalysis,
  type RedactionPolicy,
  type Speaker,
  type StartCallRequest,
} from '@earshot/protocol';
import { callSeconds, formatCallClock } from './call-clock.ts';
import { eventHash } from './event-hash.ts';
import type { Mutation } from './mutations.ts';
import { RowList } from './row-list.ts';
import {
  REDACT_ALL,
  redactChunk,
  type RedactionCounts,
  type SpeakerTail,
} from './redaction/redact.ts';
import { scoreText } from './analytics/sentiment.ts';
import { emptySignals, onFinalLine, type ConversationSignals } from './analytics/signals.ts';
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

export const EMPTY_SCRIPT: CampaignScript = { phases: [], objectives: [] };

export function iso(ms: number): string {
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
    campaignName: campaign?.name ?? request.campaignName ?? 'Unassigned',
    isRecording: request.isRecording,
    agentGain: 0,
    customerGain: 0,
    sessionId: request.sessionId,
    createdAt: ctx.now,
    updatedAt: ctx.now,
    // The optional fields after the required ones, the order every copy keeps (copyCall).
    ...(campaign ? { campaignId: campaign._id } : {}),
    ...(request.isRecording ? { recordingStartTime: iso(ctx.now) } : {}),
    ...(request.sipEndpoint ? { sipEndpoint: request.sipEndpoint } : {}),
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
      // Kept with the call: after a restart it is read back, whatever the campaign says then.
      { table: 'callRedactionPolicies', doc: { liveCallId, policy: state.redaction.policy } },
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

export function snapshotWith(
  rows: RowList<LiveTranscript>,
  fields: Omit<CallSnapshot, 'liveTranscripts'>,
): CallSnapshot {
  return new LazySnapshot(rows, fields);
}

/** Copy-on-write view of a call's snapshot for one batch: the input state is never mutated. */
export class Draft {
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
    // Each field by name, not `...this.lists`: a literal with a spread in it is built a field
    // at a time (see copyCall).
    return snapshotWith(this.transcripts, {
      liveCall: this.call,
      callObjectives: this.lists.callObjectives,
      nextActions: this.lists.nextActions,
      coachingRecommendations: this.lists.coachingRecommendations,
      callPhases: this.lists.callPhases,
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
   * `without` names an optional field the edit removes: the copy is made without it (a
   * `delete` would turn the document into a slow dictionary-mode object).
   */
  editCall(without?: OptionalCallField): LiveCall {
    const removing = without !== undefined && this.call[without] !== undefined;
    if (this.ownCall !== this.call || removing)
      this.call = this.ownCall = copyCall(this.call, without);
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
    // Every field by name rather than `...this.base`, for the reason given at copyCall.
    return {
      snapshot: this.current(),
      transcripts: this.transcripts,
      script: this.base.script,
      seen: this.base.seen,
      startHash: this.base.startHash,
      lastEventAt,
      costAccruedAt: this.costAccruedAt,
      signals: this.signals,
      nextActionIds: this.nextActionIds,
      segmentIndex: this.base.segmentIndex,
      redaction: this.redaction,
    };
  }
}

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
export type OptionalCallField = OptionalKeys<LiveCall>;

/**
 * A shallow copy of a call document, less the optional field `without`. Written out rather
 * than spread: V8 builds `{ ...call }` of a document that was itself made by a spread one
 * field at a time, growing its property store as it goes, and a call is copied on every
 * event (docs/decisions/0039-explicit-copies-on-the-hot-path.md). The literal names every
 * required field, so the compiler names one left out.
 *
 * The key order is kept as a spread keeps it: the required fields in this literal's order
 * (startCall and restoreCall make every call document in it), then the optional ones in the
 * order they were added. A subscriber's copy, patched field by field, then serialises to
 * the same JSON text as the server's.
 */
export function copyCall(call: LiveCall, without?: OptionalCallField): LiveCall {
  const copy: LiveCall = {
    _id: call._id,
    _creationTime: call._creationTime,
    callId: call.callId,
    agentName: call.agentName,
    customerName: call.customerName,
    customerPhone: call.customerPhone,
    status: call.status,
    startTime: call.startTime,
    duration: call.duration,
    currentPhase: call.currentPhase,
    campaignName: call.campaignName,
    isRecording: call.isRecording,
    agentGain: call.agentGain,
    customerGain: call.customerGain,
    sessionId: call.sessionId,
    createdAt: call.createdAt,
    updatedAt: call.updatedAt,
  };
  const into = copy as Record<string, unknown>;
  const from = call as Record<string, unknown>;
  // The optional fields present, in the source's order; the required ones are already there.
  for (const key in from) {
    if (key === without || key in into) continue;
    const value = from[key];
    if (value !== undefined) into[key] = value;
  }
  return copy;
}

/** The call clock (m:ss) at `now`. */
export function clockAt(call: LiveCall, now: number): string {
  return formatCallClock(callSeconds(call.startTime, now));
}

/** Text no speaker said (so no tail), redacted under `policy`; throws if the stage fails. */
export function redactUnspoken(policy: RedactionPolicy, text: string, ctx: EngineContext): string {
  return (ctx.redact ?? redactChunk)(text, undefined, policy, { whole: true }).text;
}

/**
 * Text that did not come from the call's audio (a supervisor's note, an adviser's coaching)
 * with personal data replaced under the call's policy, as a transcript chunk is. It has no
 * speaker, so no tail. If the redaction stage fails, the whole change is refused (500 naming
 * `field`): nothing unchecked is stored or sent, and the caller may try again.
 */
export function redactFreeText(
  state: CallState,
  text: string,
  field: string,
  ctx: EngineContext,
  /** Kinds kept whatever the policy says (a transfer's target number is where it goes). */
  keep: readonly PiiKind[] = [],
): string {
  const policy =
    keep.length === 0
      ? state.redaction.policy
      : { ...state.redaction.policy, ...Object.fromEntries(keep.map((kind) => [kind, 'keep'])) };
  try {
    return redactUnspoken(policy, text, ctx);
  } catch {
    throw new EarshotError('internal', 'The text could not be checked for personal data', {
      fields: [{ field, message: 'Redaction failed; nothing was recorded' }],
    });
  }
}

/**
 * Rebuilds a call's state from what the store holds (after a restart). The analysis of an
 * ended call is not rebuilt: nothing reads it once the call has ended (see `forEndedCall`).
 */
export function restoreCall(
  snapshot: CallSnapshot,
  script: CampaignScript | undefined,
  seen: SeenEvents,
  startHashValue: string,
  campaign?: Pick<Campaign, 'redaction'>,
  /** When the call last sent an event, if the store knows; else its row's last change. */
  lastEventAt?: number,
): CallState {
  const { liveTranscripts, ...fields } = snapshot;
  const transcripts = RowList.from(liveTranscripts);
  const state: CallState = {
    // In the key order every later copy keeps (copyCall), whatever order the store gave.
    snapshot: snapshotWith(transcripts, { ...fields, liveCall: copyCall(fields.liveCall) }),
    transcripts,
    script: script ?? EMPTY_SCRIPT,
    seen,
    startHash: startHashValue,
    lastEventAt: lastEventAt ?? snapshot.liveCall.updatedAt,
    costAccruedAt: snapshot.callSystemConfig?.updatedAt ?? snapshot.liveCall.createdAt,
    signals: emptySignals(),
    nextActionIds: {},
    segmentIndex: new Map(),
    // Tails and counts are not stored: after a restart a number split across the restart is
    // judged on its own, and the roll-up counts only what was redacted since.
    redaction: { policy: policyOf(campaign), tails: {}, counts: {} },
  };
  if (snapshot.liveCall.status === 'ended') return forEndedCall(state);
  return {
    ...state,
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
    segmentIndex: new Map(
      liveTranscripts.flatMap((row, index) =>
        row.segmentId === undefined ? [] : [[row.segmentId, index] as const],
      ),
    ),
  };
}

/**
 * What an ended call keeps for the retention hour: its rows, for supervisors to read and
 * annotate, and not what only a live call uses. Its conversation signals (every scored line)
 * and segment index are read by events, ticks, advice and the end, none of which an ended
 * call takes; its event hashes go too, since a resend after the end is answered from the
 * event log. Re-scoring every line of every ended call also made a restart slow: about 5 ms a
 * call, minutes for the thousands of calls a busy site ends within the hour.
 */
export function forEndedCall(state: CallState): CallState {
  return {
    ...state,
    seen: state.seen.size > 0 ? new SeenEvents() : state.seen,
    signals: emptySignals(),
    segmentIndex: new Map(),
  };
}
