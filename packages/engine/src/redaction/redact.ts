// PII redaction of one transcript chunk, before anything is stored, sent, logged or analysed.
// Card numbers (Luhn-checked; written, grouped or spoken), CVVs and expiry dates near card
// talk, social security numbers, IBANs (mod-97), account numbers, phone numbers, emails and
// dates of birth are replaced by typed placeholders ([CARD], [EMAIL], ...). Numbers are found
// as "digit runs" in a copy of the text where spoken digits are digits, then classified by
// their length, checksum and the words before them. A short tail per call and speaker carries
// a number that a speaker splits across two chunks. Rules and their reasons:
// docs/analytics.md#pii-redaction.
import { PII_KINDS, type PiiKind, type RedactionPolicy } from '@earshot/protocol';
import { normaliseSpokenDigits } from './spoken-digits.ts';

export const PLACEHOLDERS: Record<PiiKind, string> = {
  card: '[CARD]',
  cvv: '[CVV]',
  expiry: '[EXPIRY]',
  ssn: '[SSN]',
  iban: '[IBAN]',
  account: '[ACCOUNT]',
  phone: '[PHONE]',
  email: '[EMAIL]',
  dob: '[DOB]',
};

/** What a speaker's previous final chunk ended with, for a number split across chunks. */
export interface SpeakerTail {
  /** Digits of the run the chunk ended with ('' when it ended with words). */
  digits: string;
  /** That run was redacted as (part of) a card. */
  partialCard: boolean;
  /** The chunk was talking about a card ("my card number is"). */
  cardContext: boolean;
}

export type RedactionCounts = Partial<Record<PiiKind, number>>;

export interface Redacted {
  text: string;
  counts: RedactionCounts;
  /** The tail for this speaker's next chunk (finals only update it). */
  tail: SpeakerTail | undefined;
}

export const REDACT_ALL: RedactionPolicy = Object.fromEntries(
  PII_KINDS.map((kind) => [kind, 'redact']),
) as RedactionPolicy;

const CARD_CONTEXT =
  /\b(card|visa|master ?card|amex|american express|discover|credit|debit|long number|card number|pan)\b/;
/**
 * A card word right before the number ("card 4111 1111 1111", "card number: 5500-0000-0000"):
 * the number is (part of) a card whatever its shape, even one a phone could have. Only right
 * before: "card services on 0800 123 4567" is a phone number.
 */
const CARD_JUST_BEFORE = new RegExp(
  `${CARD_CONTEXT.source}(?:\\s+(?:number|no\\.?|is|was|ending(?: in)?))*[\\s:#,.-]*$`,
);
const CVV_CONTEXT =
  /\b(cvv2?|cvc|csc|security (code|number)|three digits|four digits|back of the card)\b/;
const EXPIRY_CONTEXT = /\b(expir\w*|exp date|valid (until|thru|through|to)|end date)\b/;
const SSN_CONTEXT = /\b(social security|ssn|social|national insurance)\b/;
const ACCOUNT_CONTEXT =
  /\b(account( number| no)?|acct|sort code|routing( number)?|bank|building society|iban|bic|swift)\b/;
const PHONE_CONTEXT =
  /\b(phone|mobile|cell|number to call|call me|reach me|landline|extension|ext)\b/;
const DOB_CONTEXT = /\b(born|birth|dob|birthday|d\.o\.b)\b/;
/** Numbers that are references, not personal data: they are never taken for a partial card. */
const REFERENCE_CONTEXT =
  /\b(order|reference|ref|ticket|invoice|tracking|confirmation|booking|case|claim|model|serial|item|flight|room|postcode|zip)\b/;
const AMOUNT_AFTER =
  /^\s*(dollars?|pounds?|euros?|bucks|cents?|pence|percent|quid|k\b|%|p\b|grand)/;
const AMOUNT_BEFORE = /[$£€]\s*$/;
const MONTHS =
  'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';
const WORD_DATE = new RegExp(
  `\\b(?:\\d{1,2}(?:st|nd|rd|th)?(?: of)? (?:${MONTHS}),? \\d{4}|(?:${MONTHS}) \\d{1,2}(?:st|nd|rd|th)?,? \\d{4})\\b`,
  'gi',
);
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** "john dot smith at example dot com" */
const SPOKEN_EMAIL =
  /\b[A-Za-z0-9_-]+(?: (?:dot|underscore|dash) [A-Za-z0-9_-]+)* at [A-Za-z0-9-]+(?: dot [A-Za-z0-9-]+)*(?: dot (?:com|net|org|co|uk|io|edu|gov|info|biz|de|fr))\b/gi;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g;
/** Digits joined by at most three separator characters: spaces, dashes, dots, slashes, commas, brackets. */
const DIGIT_RUN = /\+?\(?\d(?:[ \-./,()]{0,3}\d)*/g;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

function ibanValid(compact: string): boolean {
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const c of rearranged) {
    const value = /\d/.test(c) ? c : String(c.charCodeAt(0) - 55);
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

/** "12/03/1980", "04/27", "1980-03-12": parts that could be a day, a month and a year. */
function plausibleDate(run: string): boolean {
  if (!/^\d{1,4}(?:[/\-.]\d{1,4}){1,2}$/.test(run)) return false;
  const parts = run.split(/[/\-.]/);
  let months = 0;
  for (const part of parts) {
    const value = Number(part);
    if (part.length === 4) {
      if (value < 1900 || value > 2099) return false;
    } else if (part.length > 2 || value > 31) return false;
    if (part.length <= 2 && value >= 1 && value <= 12) months++;
  }
  return months > 0;
}

interface Finding {
  start: number;
  end: number;
  kind: PiiKind;
}

/** The kind of one digit run, or undefined for a number that is not personal data. */
function classifyRun(
  run: string,
  before: string,
  after: string,
  position: { atStart: boolean; atEnd: boolean },
  tail: SpeakerTail | undefined,
): PiiKind | undefined {
  const digits = run.replace(/\D/g, '');
  const n = digits.length;
  if (n >= 13 && n <= 19 && luhnValid(digits)) return 'card';
  // A number continuing the previous chunk's: judged together with it.
  if (position.atStart && tail) {
    const joined = tail.digits + digits;
    if (joined.length >= 13 && joined.length <= 19 && luhnValid(joined)) return 'card';
    if (tail.partialCard && joined.length <= 19) return 'card';
    if (tail.cardContext && tail.digits === '' && n >= 4) return 'card';
  }
  const amount = AMOUNT_BEFORE.test(before) || AMOUNT_AFTER.test(after);
  if (amount) return undefined;
  if (/^\d{3}-\d{2}-\d{4}$/.test(run)) return 'ssn';
  // What the speaker just said about the number: its last few words.
  const near = before.slice(-32);
  const isDate = plausibleDate(run);
  if (CVV_CONTEXT.test(near) && (n === 3 || n === 4)) return 'cvv';
  if (EXPIRY_CONTEXT.test(near) && (isDate || n === 3 || n === 4)) return 'expiry';
  if (DOB_CONTEXT.test(near) && (isDate || (n >= 6 && n <= 8))) return 'dob';
  if (n === 9 && SSN_CONTEXT.test(near)) return 'ssn';
  if (ACCOUNT_CONTEXT.test(near) && n >= 6 && n <= 17) return 'account';
  if (isDate && CARD_CONTEXT.test(near) && /^\d{2}[/-]\d{2}$/.test(run)) return 'expiry';
  if (isDate) return undefined;
  const reference = REFERENCE_CONTEXT.test(before);
  if (run.startsWith('+') && n >= 8 && n <= 15) return 'phone';
  // Right after a card word, a card, even when a phone word came earlier in the text.
  if (CARD_JUST_BEFORE.test(near) && n >= 6 && !reference) return 'card';
  if (PHONE_CONTEXT.test(before) && n >= 7 && n <= 15) return 'phone';
  if (!reference && n >= 10 && n <= 12 && (digits.startsWith('0') || /[ \-.()]/.test(run)))
    return 'phone';
  if (CARD_CONTEXT.test(before) && n >= 6 && !reference) return 'card';
  // A run the chunk ends with may be the first part of a card the next chunk finishes.
  if (position.atEnd && n >= 6 && /^[2-6]/.test(digits) && !reference) return 'card';
  return undefined;
}

/**
 * Redacts one chunk. `tail` is what this speaker's previous final chunk ended with.
 * @example redactChunk('my card is 4111 1111 1111 1111', undefined, REDACT_ALL).text // 'my card is [CARD]'
 */
export function redactChunk(
  text: string,
  tail: SpeakerTail | undefined,
  policy: RedactionPolicy = REDACT_ALL,
  /**
   * whole: the text is complete, not a chunk of speech the next one continues (a supervisor's
   * note, an adviser's answer). A number it ends with is then not held to be the first part of
   * a card: "transfer to 400123" is a queue, not [CARD].
   */
  options: { whole?: boolean } = {},
): Redacted {
  const normalised = normaliseSpokenDigits(text);
  const norm = normalised.text;
  const lower = norm.toLowerCase();
  const findings: Finding[] = [];

  for (const m of norm.matchAll(EMAIL))
    findings.push({ start: m.index, end: m.index + m[0].length, kind: 'email' });
  for (const m of norm.matchAll(SPOKEN_EMAIL))
    findings.push({ start: m.index, end: m.index + m[0].length, kind: 'email' });
  for (const m of norm.toUpperCase().matchAll(IBAN)) {
    // The pattern runs on into following words; the longest valid prefix is the IBAN.
    const ends: number[] = []; // raw end index after each compact character
    for (let k = 0; k < m[0].length; k++) if (m[0][k] !== ' ') ends.push(k + 1);
    const compact = m[0].replace(/ /g, '');
    for (let length = Math.min(34, compact.length); length >= 15; length--) {
      if (ibanValid(compact.slice(0, length))) {
        findings.push({ start: m.index, end: m.index + ends[length - 1]!, kind: 'iban' });
        break;
      }
    }
  }
  for (const m of norm.matchAll(WORD_DATE)) {
    if (DOB_CONTEXT.test(lower.slice(Math.max(0, m.index - 60), m.index)))
      findings.push({ start: m.index, end: m.index + m[0].length, kind: 'dob' });
  }
  for (const m of norm.matchAll(DIGIT_RUN)) {
    // Brackets and separators at the edges belong to the sentence, not the number.
    let run = m[0];
    let start = m.index;
    while (/^[(\s]/.test(run) && run.length > 1) {
      run = run.slice(1);
      start++;
    }
    const end = start + run.length;
    const before = lower.slice(Math.max(0, start - 60), start);
    const after = lower.slice(end, end + 20);
    const kind = classifyRun(
      run,
      before,
      after,
      {
        atStart: /^[\s,.-]*$/.test(norm.slice(0, start)),
        atEnd: !options.whole && /^[\s,.!?-]*$/.test(norm.slice(end)),
      },
      tail,
    );
    if (kind) findings.push({ start, end, kind });
  }

  // Earlier first, then longer; a finding inside one already taken is dropped.
  findings.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Finding[] = [];
  for (const f of findings) {
    const last = kept.at(-1);
    if (last && f.start < last.end) continue;
    kept.push(f);
  }

  const counts: RedactionCounts = {};
  let out = '';
  let cursor = 0;
  for (const f of kept) {
    if (policy[f.kind] === 'keep') continue;
    const from = normalised.starts ? normalised.starts[f.start]! : f.start;
    const to = normalised.ends ? normalised.ends[f.end - 1]! : f.end;
    out += text.slice(cursor, from) + PLACEHOLDERS[f.kind];
    cursor = to;
    counts[f.kind] = (counts[f.kind] ?? 0) + 1;
  }
  out += text.slice(cursor);
  return { text: out, counts, tail: nextTail(norm, lower, kept) };
}

function nextTail(norm: string, lower: string, kept: Finding[]): SpeakerTail | undefined {
  const trailing = /(\+?\d(?:[ \-./,()]{0,3}\d)*)[\s,.!?-]*$/.exec(norm);
  const cardContext = CARD_CONTEXT.test(lower.slice(-80));
  if (trailing) {
    const digits = trailing[1]!.replace(/\D/g, '').slice(-19);
    const runStart = trailing.index;
    const partialCard = kept.some((f) => f.kind === 'card' && f.end > runStart);
    return { digits, partialCard, cardContext };
  }
  return cardContext ? { digits: '', partialCard: false, cardContext } : undefined;
}
