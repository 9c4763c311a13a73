// How long an ended call stays on the wallboard: 15 s from its end, or from when the page saw
// it end when that was later (a call ended as stale ends as of its last event).
import { expect, it } from 'vitest';
import { endedRowShown } from '../src/wallboard-rules.ts';

const END = Date.parse('2026-11-25T10:00:00.000Z');
const endedAt = new Date(END).toISOString();

it('shows a call ended now for 15 s', () => {
  expect(endedRowShown(endedAt, undefined, END + 14_000)).toBe(true);
  expect(endedRowShown(endedAt, undefined, END + 16_000)).toBe(false);
});

it('shows a call ended as stale, back-dated by minutes, for 15 s after the page saw it end', () => {
  const seen = END + 10 * 60_000;
  expect(endedRowShown(endedAt, seen, seen + 1_000)).toBe(true);
  expect(endedRowShown(endedAt, seen, seen + 14_000)).toBe(true);
  expect(endedRowShown(endedAt, seen, seen + 16_000)).toBe(false);
});
