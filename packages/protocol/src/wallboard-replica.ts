// Applies a wallboard topic's deltas to a local copy of its rows: what the console's wallboard
// renders from, and what tests compare with the server's rows. The server folds changes of
// one row that wait in a subscriber's queue with mergeWallboardChanges.
import { mergePatches, patchDocument } from './call-replica.ts';
import type { WallboardChange, WallboardEntry } from './realtime.ts';

/** The row a change is about. */
export function wallboardChangeCallId(change: WallboardChange): string {
  return change.op === 'upsert' ? String(change.entry.callId) : change.callId;
}

/**
 * Applies `changes` to `rows` (by callId), in place. The server patches only rows it has sent
 * whole, so a patch of a row the copy does not hold means the copy is out of step: it throws,
 * and RealtimeClient starts the subscription over from a snapshot (as for a call's copy).
 */
export function applyWallboardChanges(
  rows: Map<string, WallboardEntry>,
  changes: readonly WallboardChange[],
): void {
  for (const change of changes) {
    if (change.op === 'remove') rows.delete(change.callId);
    else if (change.op === 'upsert')
      rows.set(String(change.entry.callId), change.entry as unknown as WallboardEntry);
    else {
      const row = rows.get(change.callId);
      if (!row) throw new Error(`Patch for wallboard row ${change.callId}, not held`);
      rows.set(change.callId, patchDocument(row, change));
    }
  }
}

/**
 * One change with the effect of `earlier` then `later` (two changes of the same row): what a
 * subscriber that is behind receives instead of both.
 */
export function mergeWallboardChanges(
  earlier: WallboardChange,
  later: WallboardChange,
): WallboardChange {
  if (later.op !== 'patch' || earlier.op === 'remove') return later;
  if (earlier.op === 'upsert') return { op: 'upsert', entry: patchDocument(earlier.entry, later) };
  return { op: 'patch', callId: later.callId, ...mergePatches(earlier, later) };
}
