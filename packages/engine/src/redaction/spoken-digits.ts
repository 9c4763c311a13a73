// Spoken numbers as digits, with a map back to the original text. Speech-to-text often
// writes a card or phone number as words ("four one one one", "double seven", "oh"), so
// detection runs on a normalised copy in which each such word is its digit(s), and every
// match is mapped back to the span of the original words it came from.

const DIGIT_WORDS: Record<string, string> = {
  zero: '0',
  oh: '0',
  o: '0',
  nought: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
};
const REPEATS: Record<string, number> = { double: 2, triple: 3 };
const ZERO_WORDS = new Set(['oh', 'o']);

export interface Normalised {
  /** The text with spoken digits as digits. */
  text: string;
  /**
   * For each index of `text`, the index in the original text where that character came from.
   * Absent when nothing changed: each index is its own.
   */
  starts?: number[];
  /** For each index of `text`, the index in the original text just after that character's source. */
  ends?: number[];
}

const WORD = /[A-Za-z]+|[^A-Za-z]/g;
/**
 * Any word that may become a digit. Most chunks have none, and their normalisation is the
 * text itself: this runs on every transcript chunk, interims included.
 */
const MAY_CHANGE = new RegExp(
  `(?<![A-Za-z])(?:${[...Object.keys(DIGIT_WORDS), ...Object.keys(REPEATS)].join('|')})(?![A-Za-z])`,
  'i',
);

/**
 * "my card is four one one one" → "my card is 4 1 1 1". "oh" and "o" count as zero only in a
 * run with other digits, so "oh no" and "o'clock" stay words.
 */
export function normaliseSpokenDigits(original: string): Normalised {
  if (!MAY_CHANGE.test(original)) return { text: original };
  const tokens: Array<{ text: string; lower: string; start: number; end: number }> = [];
  for (const match of original.matchAll(WORD)) {
    tokens.push({
      text: match[0],
      lower: match[0].toLowerCase(),
      start: match.index,
      end: match.index + match[0].length,
    });
  }
  // Which tokens are digits: digit words and digit characters, then zero words next to a
  // digit (repeated, so "four oh oh oh" becomes 4000), then "double"/"triple" before one.
  const isDigit = tokens.map(
    (t) => /^\d$/.test(t.text) || (t.lower in DIGIT_WORDS && !ZERO_WORDS.has(t.lower)),
  );
  const neighbour = (i: number, step: 1 | -1) => {
    let j = i + step;
    while (tokens[j] && /^[\s,-]$/.test(tokens[j]!.text)) j += step;
    return j;
  };
  for (let changed = true; changed;) {
    changed = false;
    tokens.forEach((t, i) => {
      if (isDigit[i] || !ZERO_WORDS.has(t.lower)) return;
      if (isDigit[neighbour(i, -1)] || isDigit[neighbour(i, 1)]) {
        isDigit[i] = true;
        changed = true;
      }
    });
  }

  const out: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const emit = (chars: string, start: number, end: number) => {
    for (const c of chars) {
      out.push(c);
      starts.push(start);
      ends.push(end);
    }
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const repeat = REPEATS[token.lower];
    if (repeat) {
      const next = neighbour(i, 1);
      const target = tokens[next];
      if (target && target.lower in DIGIT_WORDS) {
        emit(DIGIT_WORDS[target.lower]!.repeat(repeat), token.start, target.end);
        i = next;
        continue;
      }
    }
    if (isDigit[i] && token.lower in DIGIT_WORDS) {
      emit(DIGIT_WORDS[token.lower]!, token.start, token.end);
      continue;
    }
    for (let k = 0; k < token.text.length; k++)
      emit(token.text[k]!, token.start + k, token.start + k + 1);
  }
  return { text: out.join(''), starts, ends };
}
