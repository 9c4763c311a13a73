// Applies a call topic's snapshot and deltas to a local copy of the call: what the modal
// renders from, what tests compare with the server's state, and what the server's main
// thread reads snapshots from when the calls run on their own thread.
import type { CallSnapshot, LiveTranscript } from './documents.ts';
import type { CallChange } from './realtime.ts';

type ListKey = Exclude<keyof CallSnapshot, 'liveCall' | 'callSystemConfig' | 'sentimentAnalysis'>;
const LISTS = new Set<string>([
  'liveTranscripts',
  'callObjectives',
  'nextActions',
  'livePerformanceMetrics',
  'supervisorActions',
  'coachingRecommendations',
  'callPhases',
]);

/**
 * A transcript row put in its place by `order`. Rows nearly always arrive in order, so this
 * looks back from the end: a long call's transcript is never re-sorted per change.
 */
function placeTranscript(rows: LiveTranscript[], doc: LiveTranscript): void {
  let index = -1;
  for (let i = rows.length - 1; i >= 0; i--) {
    if (rows[i]!._id === doc._id) {
      index = i;
      break;
    }
  }
  if (index >= 0) rows.splice(index, 1);
  let at = rows.length;
  while (at > 0 && rows[at - 1]!.order > doc.order) at--;
  rows.splice(at, 0, doc);
}

/** A new snapshot with the changes applied (documents replaced by _id, transcripts by order). */
export function applyCallChanges(
  snapshot: CallSnapshot,
  changes: readonly CallChange[],
): CallSnapshot {
  const next: CallSnapshot = { ...snapshot };
  applyChanges(next, changes, new Set());
  return next;
}

/**
 * The same, changing `snapshot` itself: for a holder that never hands its lists out
 * unchanged (a long call's transcript is not copied per change).
 */
export function applyCallChangesInPlace(
  snapshot: CallSnapshot,
  changes: readonly CallChange[],
): void {
  applyChanges(snapshot, changes, undefined);
}

/** `copied` lists the lists already copied; undefined changes lists in place. */
function applyChanges(
  next: CallSnapshot,
  changes: readonly CallChange[],
  copied: Set<string> | undefined,
): void {
  for (const { table, doc } of changes) {
    if (table === 'liveCalls') next.liveCall = doc as never;
    else if (table === 'callSystemConfig') next.callSystemConfig = doc as never;
    else if (table === 'sentimentAnalysis') next.sentimentAnalysis = doc as never;
    else if (LISTS.has(table)) {
      const key = table as ListKey;
      if (copied && !copied.has(key)) {
        copied.add(key);
        (next[key] as unknown) = [...next[key]];
      }
      const list = next[key] as Array<{ _id: string }>;
      if (key === 'liveTranscripts') {
        placeTranscript(list as LiveTranscript[], doc as unknown as LiveTranscript);
        continue;
      }
      const index = list.findIndex((row) => row._id === doc._id);
      if (index >= 0) list[index] = doc as never;
      else list.push(doc as never);
    }
  }
}
