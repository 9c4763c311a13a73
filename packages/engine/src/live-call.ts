// The pure functions that move a live call: apply a batch of events, tick, end. Each returns
// the new state and the mutations (whole documents to upsert) that the server writes behind and
// publishes. Nothing here does I/O or reads a clock: `now` and `newId` come in through the
// context. The state itself, and the Draft a batch works on, are in call-state.ts.
import {
  EarshotError,
  type CallObjective,
  type CallPhase,
  type CoachingRecommendation,
  type EndReason,
  type IngestEvent,
  type LivePerformanceMetrics,
  type LiveTranscript,
  type NextAction,
  type PiiKind,
  type TranscriptEvent,
} from '@earshot/protocol';
import { callSeconds, formatCallClock } from './call-clock.ts';
import { assertTransition } from './call-status.ts';
import { eventHash } from './event-hash.ts';
import type { Mutation } from './mutations.ts';
import { RowList } from './row-list.ts';
import { redactChunk, type Redacted } from './redaction/redact.ts';
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
import { insertInOrder, onAudio, onFinalLine, signalsWith } from './analytics/signals.ts';
import {
  Draft,
  clockAt,
  iso,
  redactUnspoken,
  type Applied,
  type CallState,
  type EngineContext,
} from './call-state.ts';

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

function applyOne(draft: Draft, event: IngestEvent, index: number, ctx: EngineContext): void {
  const call = draft.call;
  switch (event.type) {
    case 'transcript':
      return applyTranscript(draft, event, ctx);
    case 'audio': {
      const edited = draft.editCall(event.currentSpeaker ? undefined : 'currentSpeaker');
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
      draft.signals = signalsWith(draft.signals, { explicitPhases: true });
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
    draft.signals = signalsWith(draft.signals, { lines, tally: tallyLines(lines) });
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
export function addCoaching(
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
  const call = draft.editCall();
  call.duration = Math.max(call.duration, Math.round(seconds));
  call.updatedAt = ctx.now;
  draft.pushCall();
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
    draft.signals = signalsWith(draft.signals, {
      lastCompletion: { objective: doc.objective, at: ctx.now },
    });
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
  /**
   * When the call ended, if before now: a call ended as stale ended when it last sent
   * something, not when the sweep noticed (its duration, cost and last phase stop there).
   */
  endedAt: number = ctx.now,
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
  const at = Math.min(ctx.now, Math.max(endedAt, Date.parse(call.startTime) || endedAt));
  const clock = clockAt(call, at);

  const phases = draft.writable('callPhases');
  phases.forEach((phase, i) => {
    if (phase.status !== 'active') return;
    const seconds = Math.max(0, callSeconds(call.startTime, at) - clockSeconds(phase.startTime));
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
      (draft.systemConfig.costPerMinute * Math.max(0, at - draft.costAccruedAt)) / 60_000;
    draft.systemConfig = {
      ...draft.systemConfig,
      totalCost: roundCost(accrued),
      updatedAt: ctx.now,
    };
    draft.costAccruedAt = Math.max(at, draft.costAccruedAt);
    draft.mutations.push({ table: 'callSystemConfig', doc: draft.systemConfig });
  }

  const { currentSpeaker: _speaker, ...rest } = call;
  draft.call = {
    ...rest,
    status: 'ended',
    endedAt: iso(at),
    endReason: reason,
    duration: Math.round(callSeconds(call.startTime, at)),
    updatedAt: ctx.now,
  };
  draft.mutations.push({ table: 'liveCalls', doc: draft.call });

  const ended = draft.state(ctx.now);
  const { analytics, archive } = rollUpCall(ended.snapshot, ctx, ended.redaction.counts);
  draft.mutations.push({ table: 'callAnalytics', doc: analytics });
  for (const doc of archive) draft.mutations.push({ table: 'transcriptArchive', doc });
  return { state: ended, mutations: draft.mutations, alreadyEnded: false };
}
