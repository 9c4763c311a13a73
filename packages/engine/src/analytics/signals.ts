// What the analytics remember about a conversation as it goes: talk time, silence, overtalk,
// turns, questions, buying signals, objections, and each final line's sentiment. Updated by
// pure functions (a new object each time, made by copySignals) from audio events and final
// transcript lines.
import type { Speaker } from '@earshot/protocol';
import {
  ACKNOWLEDGEMENTS,
  BUYING_SIGNALS,
  containsAny,
  FILLERS,
  isQuestion,
  OBJECTIONS,
  phrasesIn,
  PRICE_WORDS,
  REFUSALS,
  VALUE_WORDS,
  words,
} from './lexicons.ts';
import { RowList } from '../row-list.ts';
import { addToTally, emptyTally, type ScoredLine, type SentimentTally } from './sentiment.ts';

/** Above this gain (0-100) a side counts as speaking for overtalk. */
export const SPEAKING_GAIN = 35;
/** Audio gaps longer than this are not counted (the pipeline paused, not the people). */
const MAX_AUDIO_GAP_MS = 2_000;
/** Window for "recent" talk share. */
export const RECENT_WINDOW_MS = 120_000;
/** Granularity of that window: the window is 120 s plus the current bucket's part. */
export const RECENT_BUCKET_MS = 5_000;

/** Milliseconds of each side speaking, and of silence, in one bucket starting at `at`. */
export interface RecentBucket {
  at: number;
  agent: number;
  customer: number;
  silence: number;
}

export interface Objection {
  at: number;
  clock: string;
  text: string;
}

export interface ConversationSignals {
  agentMs: number;
  customerMs: number;
  silenceMs: number;
  overtalkMs: number;
  lastAudioAt: number | undefined;
  lastSpeaker: Speaker | undefined;
  /** When the current run of one speaker began (silence ends it). */
  runStartedAt: number | undefined;
  silenceStartedAt: number | undefined;
  longestAgentRunMs: number;
  interruptionsByAgent: number;
  interruptionsByCustomer: number;
  /** Times the agent started over the customer (for the recent-interruption rule). */
  agentInterruptionTimes: number[];
  agentGainSum: number;
  agentGainSamples: number;
  /**
   * Who spoke in the last two minutes, in 5-second buckets (at most 25, oldest first), so an
   * audio sample costs the same at minute 1 and minute 90. `recent` holds the closed buckets
   * and is copied only when a bucket closes (every 5 s); the open one is `recentOpen`, the one
   * object an audio sample replaces.
   */
  recent: readonly RecentBucket[];
  recentOpen: RecentBucket | undefined;
  /** Final lines in conversation order. */
  lines: RowList<ScoredLine>;
  /** Counts and latest polar lines of `lines`, for the running sentiment. */
  tally: SentimentTally;
  questionsByAgent: number;
  questionsByCustomer: number;
  buyingSignals: number;
  lastBuyingSignalAt: number | undefined;
  refusals: number;
  /** Objections raised, and those an agent line has since acknowledged. */
  objectionsRaised: number;
  objectionsAddressed: number;
  /** Objections not yet acknowledged, oldest first (emptied by an acknowledgement). */
  openObjections: Objection[];
  agentWords: number;
  customerWords: number;
  fillerWords: number;
  confidenceSum: number;
  confidenceCount: number;
  priceFirstAt: number | undefined;
  valueFirstAt: number | undefined;
  /** Discovery questions the agent asked before the pitch phase began. */
  questionsBeforePitch: number | undefined;
  /** The pipeline named phases itself: cue detection stands down. */
  explicitPhases: boolean;
  /** The latest objective completed, and when (engine time), for the praise rule. */
  lastCompletion: { objective: string; at: number } | undefined;
  lastFinalAt: number | undefined;
}

export function emptySignals(): ConversationSignals {
  return {
    agentMs: 0,
    customerMs: 0,
    silenceMs: 0,
    overtalkMs: 0,
    longestAgentRunMs: 0,
    interruptionsByAgent: 0,
    interruptionsByCustomer: 0,
    agentInterruptionTimes: [],
    agentGainSum: 0,
    agentGainSamples: 0,
    recent: [],
    recentOpen: undefined,
    lines: RowList.empty(),
    tally: emptyTally(),
    questionsByAgent: 0,
    questionsByCustomer: 0,
    buyingSignals: 0,
    refusals: 0,
    objectionsRaised: 0,
    objectionsAddressed: 0,
    openObjections: [],
    agentWords: 0,
    customerWords: 0,
    fillerWords: 0,
    confidenceSum: 0,
    confidenceCount: 0,
    explicitPhases: false,
    // Every field is present from the start, so each copy has one shape.
    lastAudioAt: undefined,
    lastSpeaker: undefined,
    runStartedAt: undefined,
    silenceStartedAt: undefined,
    lastBuyingSignalAt: undefined,
    priceFirstAt: undefined,
    valueFirstAt: undefined,
    questionsBeforePitch: undefined,
    lastCompletion: undefined,
    lastFinalAt: undefined,
  };
}

/**
 * A shallow copy of `signals`, written out field by field. V8 builds a spread
 * (`{ ...signals }`) of an object that was itself made by a spread a field at a time: about
 * 2.1 KB for these 38 fields against 0.3 KB for this literal
 * (docs/decisions/0039-explicit-copies-on-the-hot-path.md).
 * Every field is required in the type, so the compiler names one left out here.
 */
export function copySignals(s: ConversationSignals): ConversationSignals {
  return {
    agentMs: s.agentMs,
    customerMs: s.customerMs,
    silenceMs: s.silenceMs,
    overtalkMs: s.overtalkMs,
    lastAudioAt: s.lastAudioAt,
    lastSpeaker: s.lastSpeaker,
    runStartedAt: s.runStartedAt,
    silenceStartedAt: s.silenceStartedAt,
    longestAgentRunMs: s.longestAgentRunMs,
    interruptionsByAgent: s.interruptionsByAgent,
    interruptionsByCustomer: s.interruptionsByCustomer,
    agentInterruptionTimes: s.agentInterruptionTimes,
    agentGainSum: s.agentGainSum,
    agentGainSamples: s.agentGainSamples,
    recent: s.recent,
    recentOpen: s.recentOpen,
    lines: s.lines,
    tally: s.tally,
    questionsByAgent: s.questionsByAgent,
    questionsByCustomer: s.questionsByCustomer,
    buyingSignals: s.buyingSignals,
    lastBuyingSignalAt: s.lastBuyingSignalAt,
    refusals: s.refusals,
    objectionsRaised: s.objectionsRaised,
    objectionsAddressed: s.objectionsAddressed,
    openObjections: s.openObjections,
    agentWords: s.agentWords,
    customerWords: s.customerWords,
    fillerWords: s.fillerWords,
    confidenceSum: s.confidenceSum,
    confidenceCount: s.confidenceCount,
    priceFirstAt: s.priceFirstAt,
    valueFirstAt: s.valueFirstAt,
    questionsBeforePitch: s.questionsBeforePitch,
    explicitPhases: s.explicitPhases,
    lastCompletion: s.lastCompletion,
    lastFinalAt: s.lastFinalAt,
  };
}

/** `signals` with `changes` made, as a copy (see copySignals). */
export function signalsWith(
  signals: ConversationSignals,
  changes: Partial<ConversationSignals>,
): ConversationSignals {
  return Object.assign(copySignals(signals), changes);
}

/** Attributes the time since the previous audio sample to whoever was speaking then. */
export function onAudio(
  signals: ConversationSignals,
  sample: { agentGain: number; customerGain: number; currentSpeaker: Speaker | undefined },
  now: number,
): ConversationSignals {
  const next = copySignals(signals);
  const gap =
    signals.lastAudioAt === undefined
      ? 0
      : Math.min(MAX_AUDIO_GAP_MS, Math.max(0, now - signals.lastAudioAt));
  const previous = signals.lastSpeaker;
  if (gap > 0) {
    if (previous === 'agent') next.agentMs += gap;
    else if (previous === 'customer') next.customerMs += gap;
    else next.silenceMs += gap;
    addToRecent(next, now, previous ?? 'silence', gap);
  }
  const bothSpeaking = sample.agentGain >= SPEAKING_GAIN && sample.customerGain >= SPEAKING_GAIN;
  if (bothSpeaking && gap > 0) next.overtalkMs += gap;
  const speaker = sample.currentSpeaker;
  if (speaker !== previous) {
    // Starting to speak while the other side is still audible is an interruption.
    if (speaker === 'agent' && previous === 'customer' && sample.customerGain >= SPEAKING_GAIN) {
      next.interruptionsByAgent += 1;
      next.agentInterruptionTimes = [
        ...signals.agentInterruptionTimes.filter((t) => now - t <= RECENT_WINDOW_MS),
        now,
      ];
    }
    if (speaker === 'customer' && previous === 'agent' && sample.agentGain >= SPEAKING_GAIN)
      next.interruptionsByCustomer += 1;
    // Assigned undefined rather than deleted: a delete would turn this object, and every copy
    // made from it per audio event, into a slow dictionary-mode object.
    next.runStartedAt = speaker ? now : undefined;
    next.silenceStartedAt = speaker ? undefined : now;
    next.lastSpeaker = speaker;
  }
  if (speaker === 'agent') {
    next.agentGainSum += sample.agentGain;
    next.agentGainSamples += 1;
    if (next.runStartedAt !== undefined)
      next.longestAgentRunMs = Math.max(next.longestAgentRunMs, now - next.runStartedAt);
  }
  next.lastAudioAt = now;
  return next;
}

/**
 * Adds `ms` of `who` at `now` to `next`'s open bucket: a new bucket object, and a new array of
 * closed buckets (without those older than the window) only when the open one closes.
 */
function addToRecent(
  next: ConversationSignals,
  now: number,
  who: Speaker | 'silence',
  ms: number,
): void {
  const at = now - (now % RECENT_BUCKET_MS);
  let open = next.recentOpen;
  if (open?.at !== at) {
    if (open) {
      const closed = next.recent;
      let start = 0;
      while (start < closed.length && now - closed[start]!.at > RECENT_WINDOW_MS + RECENT_BUCKET_MS)
        start++;
      next.recent = [...closed.slice(start), open];
    }
    open = { at, agent: 0, customer: 0, silence: 0 };
  }
  // Built field by field: a spread with a computed key takes V8's slow path, once per event.
  const bucket = { at, agent: open.agent, customer: open.customer, silence: open.silence };
  bucket[who] += ms;
  next.recentOpen = bucket;
}

/** `lines` with `line` in its place by order (lines nearly always arrive in order). */
export function insertInOrder(lines: RowList<ScoredLine>, line: ScoredLine): RowList<ScoredLine> {
  let next = lines.push(line);
  for (let i = next.length - 1; i > 0 && next.at(i - 1)!.order > line.order; i--) {
    next = next.set(i, next.at(i - 1)!).set(i - 1, line);
  }
  return next;
}

/** Reads one final line: questions, buying signals, objections and their answers, words. */
export function onFinalLine(
  signals: ConversationSignals,
  line: ScoredLine,
  confidence: number | undefined,
  context: { now: number; inPitchOrLater: boolean },
): ConversationSignals {
  const next = copySignals(signals);
  next.lines = insertInOrder(signals.lines, line);
  next.tally = addToTally(signals.tally, line);
  next.lastFinalAt = context.now;
  const count = words(line.text).length;
  if (confidence !== undefined) {
    next.confidenceSum += confidence;
    next.confidenceCount += 1;
  }
  if (line.speaker === 'agent') {
    next.agentWords += count;
    next.fillerWords += phrasesIn(line.text, FILLERS).length;
    if (isQuestion(line.text)) {
      next.questionsByAgent += 1;
    }
    if (next.priceFirstAt === undefined && containsAny(line.text, PRICE_WORDS))
      next.priceFirstAt = context.now;
    if (next.valueFirstAt === undefined && containsAny(line.text, VALUE_WORDS))
      next.valueFirstAt = context.now;
    // The agent's next line after an objection answers it if it acknowledges it.
    if (signals.openObjections.length > 0 && containsAny(line.text, ACKNOWLEDGEMENTS)) {
      next.objectionsAddressed += signals.openObjections.length;
      next.openObjections = [];
    }
  } else {
    next.customerWords += count;
    if (isQuestion(line.text)) next.questionsByCustomer += 1;
    if (containsAny(line.text, BUYING_SIGNALS) && !containsAny(line.text, ['not interested'])) {
      next.buyingSignals += 1;
      next.lastBuyingSignalAt = context.now;
    }
    if (containsAny(line.text, REFUSALS)) next.refusals += 1;
    if (containsAny(line.text, OBJECTIONS)) {
      next.objectionsRaised += 1;
      next.openObjections = [
        ...signals.openObjections,
        { at: context.now, clock: line.clock, text: line.text },
      ];
    }
  }
  if (!context.inPitchOrLater && line.speaker === 'agent' && isQuestion(line.text)) {
    next.questionsBeforePitch = (signals.questionsBeforePitch ?? 0) + 1;
  }
  return next;
}

/** The speaker's last `count` lines, newest last (scans back from the end). */
export function lastLines(
  signals: ConversationSignals,
  speaker: Speaker,
  count: number,
): ScoredLine[] {
  const found: ScoredLine[] = [];
  for (let i = signals.lines.length - 1; i >= 0 && found.length < count; i--) {
    const line = signals.lines.at(i)!;
    if (line.speaker === speaker) found.unshift(line);
  }
  return found;
}

/** Agent share of speaking time in the last two minutes (0-1), or undefined with little data. */
export function recentAgentShare(signals: ConversationSignals, now: number): number | undefined {
  let agent = 0;
  let customer = 0;
  const count = (bucket: RecentBucket) => {
    // A bucket counts while any of it is inside the window.
    if (now - bucket.at > RECENT_WINDOW_MS + RECENT_BUCKET_MS) return;
    agent += bucket.agent;
    customer += bucket.customer;
  };
  for (const bucket of signals.recent) count(bucket);
  if (signals.recentOpen) count(signals.recentOpen);
  return agent + customer < 20_000 ? undefined : agent / (agent + customer);
}
