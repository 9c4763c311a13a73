// The replacement for VADER's tokenizer gives the library's own answer, token for token, on
// the fixtures' lines, on lines built to hit its edge cases, and on random lines of words,
// marks, capitals and spaces.
import vader from 'vader-sentiment';
import { describe, expect, it } from 'vitest';
import {
  libraryWordsAndEmoticons,
  sentiTextPrototype,
  wordsAndEmoticons,
} from '../src/analytics/vader-words.ts';
import { scoreText } from '../src/analytics/sentiment.ts';
import { CONVERSATIONS } from './fixtures/conversations.ts';

const EDGE_CASES = [
  '',
  ' ',
  'good',
  'Good!',
  '!!!Good',
  '!!!!good',
  'good!!!!',
  "'quoted'",
  '"great," she said.',
  '?!?!really?!?!',
  'not bad... not bad at all',
  "don't, won't; can't: isn't - it's",
  'GREAT service but TERRIBLE wait :) :( <3',
  'a b c d e',
  'x! !x xx! !xx',
  '__proto__ constructor. hasOwnProperty!',
  'kind of good, sort of bad',
  'the card 4111 1111 1111 1111 is, uh, fine?',
  'tab\tseparated\nnew-line  double  spaces',
];

/** Random lines over an alphabet that favours marks next to words. */
function randomLines(count: number): string[] {
  const pieces = ['good', 'bad', 'GREAT', 'not', 'very', 'kind', 'of', 'x', 'ok', 'love', 'hate'];
  const marks = ['.', '!', '?', ',', ';', ':', '-', "'", '"', '!!', '??', '(', ')', '#', ':)'];
  let seed = 42;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  return Array.from({ length: count }, () => {
    let line = '';
    for (let i = next(12); i >= 0; i--) {
      if (next(3) === 0) line += marks[next(marks.length)];
      line += pieces[next(pieces.length)];
      if (next(2) === 0) line += marks[next(marks.length)];
      if (next(3) === 0) line += marks[next(marks.length)];
      line += next(6) === 0 ? '' : ' ';
    }
    return line;
  });
}

const LINES = [
  ...CONVERSATIONS.flatMap((conversation) => conversation.lines.map((line) => line[1])),
  ...EDGE_CASES,
  ...randomLines(3_000),
];

describe('VADER tokens', () => {
  it('replaces the library tokenizer of this vader-sentiment version', () => {
    expect(libraryWordsAndEmoticons).toBeTypeOf('function');
    expect(libraryWordsAndEmoticons).not.toBe(wordsAndEmoticons);
  });

  it('gives the library tokenizer’s tokens for every line', () => {
    const library = libraryWordsAndEmoticons!;
    const mismatches = LINES.filter((text) => {
      // The library's method reads this.text and calls its own helper from the prototype.
      const sentiText = Object.create(sentiTextPrototype!) as { text: string };
      sentiText.text = text;
      return (
        JSON.stringify(library.call(sentiText)) !== JSON.stringify(wordsAndEmoticons.call({ text }))
      );
    });
    expect(mismatches).toEqual([]);
    expect(LINES.length).toBeGreaterThan(3_000);
  });

  it('leaves scoring to the library: known lines keep VADER’s scores', () => {
    expect(
      vader.SentimentIntensityAnalyzer.polarity_scores('This is GREAT!!! but not bad, really.'),
    ).toEqual({ neg: 0, neu: 0.398, pos: 0.602, compound: 0.8209 });
    expect(scoreText('I am really frustrated, nobody called back!').label).toBe('negative');
    expect(scoreText('Thank you so much, that is wonderful.').label).toBe('positive');
  });
});
