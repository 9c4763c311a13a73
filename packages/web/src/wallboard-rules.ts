// Rules of the wallboard that need no React: how long an ended call stays on the board.

/** How long an ended call stays on the board. */
export const ENDED_GRACE_MS = 15_000;

/**
 * Whether an ended call's row still shows: for ENDED_GRACE_MS after it ended, or after this
 * page saw it end, whichever is later. A call ended as stale ends as of its last event,
 * minutes before anyone is told; counted from its endedAt alone, it would never show as
 * ended at all.
 */
export function endedRowShown(
  endedAt: string,
  seenEndingAt: number | undefined,
  now: number,
): boolean {
  return now - Math.max(Date.parse(endedAt), seenEndingAt ?? -Infinity) < ENDED_GRACE_MS;
}
