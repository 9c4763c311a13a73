// Applies a call topic's snapshot and deltas to a local copy of the call: what the modal
// renders from, and what tests compare with the server's state.
import type { CallChange, CallSnapshot } from '@earshot/protocol';

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

/** A new snapshot with the changes applied (documents replaced by _id, lists re-sorted). */
export function applyCallChanges(
  snapshot: CallSnapshot,
  changes: readonly CallChange[],
): CallSnapshot {
  const next: CallSnapshot = { ...snapshot };
  for (const { table, doc } of changes) {
    if (table === 'liveCalls') next.liveCall = doc as never;
    else if (table === 'callSystemConfig') next.callSystemConfig = doc as never;
    else if (table === 'sentimentAnalysis') next.sentimentAnalysis = doc as never;
    else if (LISTS.has(table)) {
      const key = table as ListKey;
      const list = [...(next[key] as Array<{ _id: string }>)];
      const index = list.findIndex((row) => row._id === doc._id);
      if (index >= 0) list[index] = doc as never;
      else list.push(doc as never);
      (next[key] as unknown) = list;
    }
  }
  next.liveTranscripts = [...next.liveTranscripts].sort((a, b) => a.order - b.order);
  return next;
}
