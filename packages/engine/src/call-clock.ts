// The call clock: time since a call started, written the way the seed writes it ("2:15").

/** Seconds → "m:ss", or "h:mm:ss" from one hour. Negative input counts as zero. */
export function formatCallClock(totalSeconds: number): string {
  const whole = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const seconds = String(whole % 60).padStart(2, '0');
  return hours > 0
    ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}`
    : `${minutes}:${seconds}`;
}

/** "2:15" → 135; "1:02:03" → 3723. Returns undefined for anything else. */
export function parseCallClock(clock: string): number | undefined {
  const match = /^(?:(\d+):)?(\d{1,2}):(\d{2})$/.exec(clock);
  if (!match) return undefined;
  const [, hours = '0', minutes = '0', seconds = '0'] = match;
  return Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds);
}

/** Seconds of call time at `now` (ms) for a call that started at `startTime` (ISO). */
export function callSeconds(startTime: string, now: number): number {
  return Math.max(0, (now - Date.parse(startTime)) / 1000);
}
