// A wallboard row: what the board shows for one call, derived from the call's state.
// The customer's phone is masked here, before it leaves the server. The row holds no
// per-event counters (duration, updatedAt): the board ticks the duration from startTime
// itself, so a row changes, and is pushed to every wallboard, only when something a
// supervisor sees changes.
import type { CallSnapshot, WallboardEntry, WallboardPatch } from '@earshot/protocol';

export type { WallboardEntry };

/** "+44 7700 900123" → "+•• •••• ••0123". */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '').length;
  let seen = 0;
  return phone.replace(/\d/g, (digit) => (++seen > digits - 4 ? digit : '•'));
}

// A row is rebuilt for every event of a call, and its phone never changes: the masks of the
// phones seen lately are kept, so the two regular expressions run once per call, not per event.
const MASKS_KEPT = 10_000;
const masks = new Map<string, string>();
function maskedPhone(phone: string): string {
  let masked = masks.get(phone);
  if (masked === undefined) {
    if (masks.size >= MASKS_KEPT) masks.clear();
    masks.set(phone, (masked = maskPhone(phone)));
  }
  return masked;
}

/**
 * The call's own row as supervisors' screens get it: the customer's phone masked as on the
 * wallboard. The store keeps the number the pipeline sent; no screen shows more of it than the
 * last four digits, so no screen is sent more.
 */
export function callForScreens<T extends { customerPhone: string }>(call: T): T {
  return { ...call, customerPhone: maskedPhone(call.customerPhone) };
}

/** The call's snapshot as supervisors' screens get it (callForScreens). */
export function snapshotForScreens(snapshot: CallSnapshot): CallSnapshot {
  return { ...snapshot, liveCall: callForScreens(snapshot.liveCall) };
}

export function wallboardEntry(snapshot: CallSnapshot): WallboardEntry {
  const call = snapshot.liveCall;
  const system = snapshot.callSystemConfig;
  const sentiment = snapshot.sentimentAnalysis;
  const metrics = snapshot.livePerformanceMetrics.at(-1);
  return {
    callId: call.callId,
    liveCallId: call._id,
    agentName: call.agentName,
    customerName: call.customerName,
    customerPhone: maskedPhone(call.customerPhone),
    ...(call.campaignId ? { campaignId: call.campaignId } : {}),
    campaignName: call.campaignName,
    status: call.status,
    startTime: call.startTime,
    currentPhase: call.currentPhase,
    ...(call.currentSpeaker ? { currentSpeaker: call.currentSpeaker } : {}),
    isRecording: call.isRecording,
    ...(sentiment
      ? {
          sentiment: {
            positive: sentiment.positivePercentage,
            neutral: sentiment.neutralPercentage,
            negative: sentiment.negativePercentage,
            trend: sentiment.trend,
          },
        }
      : {}),
    ...(metrics ? { conversionProbability: metrics.conversionProbability } : {}),
    pipelineError: system
      ? [system.sipStatus, system.sttStatus, system.llmStatus, system.ttsStatus].includes('error')
      : false,
    ...(call.endedAt ? { endedAt: call.endedAt } : {}),
    ...(call.endReason ? { endReason: call.endReason } : {}),
  };
}

/**
 * `snapshot`'s row, reusing `previous.entry` (the same object) when nothing the row shows has
 * changed since `previous.snapshot`: most events (audio levels above all) change only fields
 * the board does not show, and building the row and comparing it field by field cost more
 * than checking its inputs.
 */
export function wallboardEntryAfter(
  snapshot: CallSnapshot,
  previous: { snapshot: CallSnapshot; entry: WallboardEntry } | undefined,
): WallboardEntry {
  if (!previous) return wallboardEntry(snapshot);
  const before = previous.snapshot;
  if (
    before.callSystemConfig !== snapshot.callSystemConfig ||
    before.sentimentAnalysis !== snapshot.sentimentAnalysis ||
    before.livePerformanceMetrics.at(-1) !== snapshot.livePerformanceMetrics.at(-1)
  )
    return wallboardEntry(snapshot);
  const a = before.liveCall;
  const b = snapshot.liveCall;
  // Every field of the call the row shows, written out: named loads stay fast where a loop
  // over field names would look each one up by key.
  const same =
    a === b ||
    (a.callId === b.callId &&
      a._id === b._id &&
      a.agentName === b.agentName &&
      a.customerName === b.customerName &&
      a.customerPhone === b.customerPhone &&
      a.campaignId === b.campaignId &&
      a.campaignName === b.campaignName &&
      a.status === b.status &&
      a.startTime === b.startTime &&
      a.currentPhase === b.currentPhase &&
      a.currentSpeaker === b.currentSpeaker &&
      a.isRecording === b.isRecording &&
      a.endedAt === b.endedAt &&
      a.endReason === b.endReason);
  return same ? previous.entry : wallboardEntry(snapshot);
}

type Sentiment = WallboardEntry['sentiment'];

/** Two sentiment summaries with the same figures (rows rebuild them, so identity says little). */
function sameSentiment(x: Sentiment, y: Sentiment): boolean {
  if (x === y) return true;
  return (
    x !== undefined &&
    y !== undefined &&
    x.positive === y.positive &&
    x.neutral === y.neutral &&
    x.negative === y.negative &&
    x.trend === y.trend
  );
}

function sameField(key: keyof WallboardEntry, a: WallboardEntry, b: WallboardEntry): boolean {
  return key === 'sentiment' ? sameSentiment(a.sentiment, b.sentiment) : a[key] === b[key];
}

/**
 * Whether two rows show the same thing. Most events (audio levels above all) leave the row as
 * it was; comparing fields is much cheaper than serialising the row to find that out.
 */
export function sameWallboardEntry(a: WallboardEntry, b: WallboardEntry): boolean {
  if (a === b) return true;
  const keys = Object.keys(a) as Array<keyof WallboardEntry>;
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (!sameField(key, a, b)) return false;
  return true;
}

/**
 * The change from `previous` to `next` (two versions of one call's row) as a patch: the fields
 * that differ and the fields that are gone. Undefined when the rows show the same thing. A
 * row is about 400 bytes of JSON and most changes touch one or two of its fields (the
 * speaker, the sentiment), so a wallboard that holds the row is sent only those.
 */
export function wallboardPatch(
  previous: WallboardEntry,
  next: WallboardEntry,
): WallboardPatch | undefined {
  const set: Record<string, unknown> = {};
  let changed = false;
  for (const key of Object.keys(next) as Array<keyof WallboardEntry>) {
    if (next[key] !== undefined && !sameField(key, previous, next)) {
      set[key] = next[key];
      changed = true;
    }
  }
  let unset: string[] | undefined;
  for (const key of Object.keys(previous) as Array<keyof WallboardEntry>) {
    if (previous[key] !== undefined && next[key] === undefined) (unset ??= []).push(key);
  }
  if (!changed && !unset) return undefined;
  return { op: 'patch', callId: next.callId, set, ...(unset ? { unset } : {}) };
}
