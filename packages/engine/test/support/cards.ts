// Generated payment card numbers for the redaction tests: Luhn-valid, with real issuer
// prefixes and lengths, in the forms people say and STT writes them.
import fc from 'fast-check';
import { luhnValid, normaliseSpokenDigits } from '../../src/index.ts';

const ISSUERS: Array<{ prefix: string; length: number; groups: number[] }> = [
  { prefix: '4', length: 16, groups: [4, 4, 4, 4] }, // Visa
  { prefix: '4', length: 13, groups: [4, 4, 5] },
  { prefix: '4', length: 19, groups: [4, 4, 4, 4, 3] },
  { prefix: '51', length: 16, groups: [4, 4, 4, 4] }, // Mastercard
  { prefix: '55', length: 16, groups: [4, 4, 4, 4] },
  { prefix: '2221', length: 16, groups: [4, 4, 4, 4] },
  { prefix: '34', length: 15, groups: [4, 6, 5] }, // Amex
  { prefix: '37', length: 15, groups: [4, 6, 5] },
  { prefix: '6011', length: 16, groups: [4, 4, 4, 4] }, // Discover
];

const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

function checkDigit(partial: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(partial + d)) return String(d);
  throw new Error('unreachable');
}

export interface Card {
  digits: string;
  groups: number[];
}

export const card: fc.Arbitrary<Card> = fc
  .record({
    issuer: fc.constantFrom(...ISSUERS),
    body: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 18, maxLength: 18 }),
  })
  .map(({ issuer, body }) => {
    const partial = (issuer.prefix + body.join('')).slice(0, issuer.length - 1);
    return { digits: partial + checkDigit(partial), groups: issuer.groups };
  });

export const FORMS = [
  'plain',
  'spaced',
  'dashed',
  'spoken',
  'spoken-grouped',
  'spoken-oh',
] as const;
export type Form = (typeof FORMS)[number];

/** The card as tokens (a chunk boundary may fall between any two). */
export function render(c: Card, form: Form): string[] {
  const digits = [...c.digits];
  const grouped = (sep: string) => {
    const parts: string[] = [];
    let at = 0;
    for (const size of c.groups) {
      parts.push(c.digits.slice(at, at + size));
      at += size;
    }
    return parts.join(sep);
  };
  switch (form) {
    case 'plain':
      return digits;
    case 'spaced':
      return [...grouped(' ')];
    case 'dashed':
      return [...grouped('-')];
    case 'spoken':
      return digits.map((d) => WORDS[Number(d)]!).flatMap((w, i) => (i === 0 ? [w] : [' ', w]));
    case 'spoken-grouped': {
      const out: string[] = [];
      let at = 0;
      for (const size of c.groups) {
        if (out.length > 0) out.push(', ');
        c.digits
          .slice(at, at + size)
          .split('')
          .forEach((d, i) => out.push(...(i === 0 ? [] : [' ']), WORDS[Number(d)]!));
        at += size;
      }
      return out;
    }
    case 'spoken-oh':
      return digits
        .map((d) => (d === '0' ? 'oh' : WORDS[Number(d)]!))
        .flatMap((w, i) => (i === 0 ? [w] : [' ', w]));
  }
}

/** Longest run of the card's digits (in order) that a text gives away, written or spoken. */
export function longestLeak(text: string, c: Card): number {
  const runs = normaliseSpokenDigits(text).text.match(/\d(?:[ \-.,/]{0,3}\d)*/g) ?? [];
  let longest = 0;
  for (const run of runs) {
    const digits = run.replace(/\D/g, '');
    for (let len = Math.min(digits.length, c.digits.length); len > longest; len--) {
      let found = false;
      for (let i = 0; i + len <= digits.length && !found; i++)
        if (c.digits.includes(digits.slice(i, i + len))) found = true;
      if (found) {
        longest = len;
        break;
      }
    }
  }
  return longest;
}

/** At most this many of a card's digits in a row may show (PCI DSS allows the first six). */
export const MAX_SHOWN_DIGITS = 5;

/**
 * Every string a document carries, except ids, event hashes, timestamps and the customer's
 * phone from the start request: they are not speech, and their digits can match a card's.
 */
export function speechIn(value: unknown, key = ''): string[] {
  if (typeof value === 'string')
    // `id` too: a patch names its row by it, and a random UUID's digits, joined across its
    // hyphens, can match six of a test card's now and then.
    return /(^_id$|^id$|^hash$|^customerPhone$|Id$|Time$|At$)/.test(key) ? [] : [value];
  if (Array.isArray(value)) return value.flatMap((v) => speechIn(v));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => speechIn(v, k));
  return [];
}
