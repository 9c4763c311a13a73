// Applies a call topic's snapshot and deltas to a local copy of the call: what the modal
// renders from, what tests compare with the server's state, and what the server's main
// thread reads snapshots from when the calls run on their own thread.
import type { CallSnapshot, LiveCall, LiveTranscript } from './documents.ts';
import type { CallChange, CallPatch } from './realtime.ts';

/** The seed's tables of a call that hold a list of rows (a snapshot keys each by its name). */
export const CALL_LIST_TABLES = [
  'liveTranscripts',
  'callObjectives',
  'nextActions',
  'livePerformanceMetrics',
  'supervisorActions',
  'coachingRecommendations',
  'callPhases',
] as const satisfies ReadonlyArray<keyof CallSnapshot>;

/** The seed's ten tables of a live call, the call's own row first: what subscribers see change. */
export const CALL_TABLES = [
  'liveCalls',
  ...CALL_LIST_TABLES,
  'callSystemConfig',
  'sentimentAnalysis',
] as const;

type ListKey = (typeof CALL_LIST_TABLES)[number];
const LISTS = new Set<string>(CALL_LIST_TABLES);

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

/** A call with its row and nothing else yet: what a replica starts from. */
export function emptySnapshot(liveCall: LiveCall): CallSnapshot {
  return {
    liveCall,
    liveTranscripts: [],
    callObjectives: [],
    nextActions: [],
    livePerformanceMetrics: [],
    supervisorActions: [],
    coachingRecommendations: [],
    callPhases: [],
    callSystemConfig: undefined,
    sentimentAnalysis: undefined,
  };
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

/** `doc` with `patch` applied: a new object; `doc` is not changed. */
export function patchDocument<T extends object>(
  doc: T,
  patch: Pick<CallPatch, 'set' | 'unset'>,
): T {
  const next = { ...doc, ...patch.set } as Record<string, unknown>;
  for (const key of patch.unset ?? []) delete next[key];
  return next as T;
}

/**
 * The change from `previous` to `next` (two versions of one row) as a patch: the fields whose
 * value is not the same (===) and the fields that are gone. Undefined when nothing differs.
 * Values are compared by identity, so a nested object rebuilt with the same content counts as
 * changed; the engine replaces nested values whole.
 */
export function diffDocument(
  table: string,
  previous: Record<string, unknown>,
  next: Record<string, unknown>,
): CallPatch | undefined {
  const set: Record<string, unknown> = {};
  let changed = false;
  for (const key in next) {
    if (next[key] !== previous[key] && next[key] !== undefined) {
      set[key] = next[key];
      changed = true;
    }
  }
  let unset: string[] | undefined;
  for (const key in previous) {
    if (previous[key] !== undefined && next[key] === undefined) (unset ??= []).push(key);
  }
  if (!changed && !unset) return undefined;
  return { table, id: String(next._id), set, ...(unset ? { unset } : {}) };
}

/**
 * One change that has the effect of `earlier` then `later` (two changes of the same row):
 * what a subscriber that is behind receives instead of both.
 */
export function mergeChanges(earlier: CallChange, later: CallChange): CallChange {
  if ('doc' in later) return later;
  if ('doc' in earlier) return { table: earlier.table, doc: patchDocument(earlier.doc, later) };
  return { table: later.table, id: later.id, ...mergePatches(earlier, later) };
}

type Patch = Pick<CallPatch, 'set' | 'unset'>;

/** One patch with the effect of `earlier` then `later` (of a call's row or a wallboard row). */
export function mergePatches(earlier: Patch, later: Patch): Patch {
  const unset = [
    ...(earlier.unset ?? []).filter((key) => !(key in later.set)),
    ...(later.unset ?? []),
  ];
  return { set: patchDocument(earlier.set, later), ...(unset.length > 0 ? { unset } : {}) };
}

/** `copied` lists the lists already copied; undefined changes lists in place. */
function applyChanges(
  next: CallSnapshot,
  changes: readonly CallChange[],
  copied: Set<string> | undefined,
): void {
  for (const change of changes) {
    const table = change.table;
    if (table === 'liveCalls') next.liveCall = patched(next.liveCall, change);
    else if (table === 'callSystemConfig')
      next.callSystemConfig = patched(next.callSystemConfig, change);
    else if (table === 'sentimentAnalysis')
      next.sentimentAnalysis = patched(next.sentimentAnalysis, change);
    else if (LISTS.has(table)) {
      const key = table as ListKey;
      if (copied && !copied.has(key)) {
        copied.add(key);
        (next[key] as unknown) = [...next[key]];
      }
      const list = next[key] as Array<{ _id: string }>;
      const id = 'doc' in change ? String(change.doc._id) : change.id;
      if (key === 'liveTranscripts') {
        const rows = list as LiveTranscript[];
        const current = 'doc' in change ? undefined : rows.findLast((row) => row._id === id);
        placeTranscript(rows, patched(current, change) as LiveTranscript);
        continue;
      }
      const index = list.findIndex((row) => row._id === id);
      const doc = patched(index >= 0 ? list[index] : undefined, change) as { _id: string };
      if (index >= 0) list[index] = doc;
      else list.push(doc);
    }
  }
}

/** The row after `change`: its new version, or `current` patched. */
function patched<T>(current: T, change: CallChange): T {
  if ('doc' in change) return change.doc as T;
  // A patch names a row the subscriber holds; without it there is nothing to patch.
  if (current === undefined) throw new Error(`Patch for ${change.table} ${change.id}, not held`);
  return patchDocument(current as object, change) as T;
}
