// Small display helpers shared by the wallboard and the modal.

/** Whole seconds as "m:ss" or "h:mm:ss". */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Seconds from an ISO start time to `now` (or to the end, once ended). */
export function elapsed(startTime: string, now: number, endedAt?: string): number {
  const end = endedAt ? Date.parse(endedAt) : now;
  return (end - Date.parse(startTime)) / 1000;
}

export function percent(value: number | undefined): string {
  return value === undefined ? '–' : `${Math.round(value)}%`;
}

export function money(value: number): string {
  return `$${value.toFixed(value < 1 ? 4 : 2)}`;
}

export const STATUS_LABELS: Record<string, string> = {
  connecting: 'Connecting',
  ringing: 'Ringing',
  connected: 'Connected',
  'on-hold': 'On hold',
  transferring: 'Transferring',
  ended: 'Ended',
};

export const ACTION_LABELS: Record<string, string> = {
  COACH_AGENT: 'Coached the agent',
  JOIN_CALL: 'Joined the call',
  TRANSFER_CALL: 'Transferred the call',
  END_CALL: 'Ended the call',
  ADD_NOTE: 'Added a note',
  BOOKMARK_MOMENT: 'Bookmarked a moment',
  FLAG_FOR_REVIEW: 'Flagged for review',
};
