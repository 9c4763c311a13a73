// VADER's word list for a line, found per word instead of from a table of every word with
// every punctuation mark. vader-sentiment's `SentiText` strips a word's leading or trailing
// punctuation by building, for each line, a dictionary from `${mark}${word}` and
// `${word}${mark}` to `word` for all 17 of its marks and every word of the line, and then
// looking each token up in it: 34 strings and dictionary entries per word per line. That was
// most of VADER's time (about 53 µs a line, 10 µs without it) and two thirds of what scoring a
// final line allocated. The answer per token is the same when asked directly: does the token
// start or end with one of the marks, with a word of the line for the rest? A line's words
// contain no marks (they are the line with all punctuation removed), so a token splits into
// a mark and a word in at most one way, and the two give the same word (decision 0026).
//
// vader-sentiment does not export `SentiText`, so its prototype is found from the one place
// it reaches our code: the `sentiText` argument of a static method, during one scoring of a
// word at load. Only `get_words_and_emoticons` is replaced; everything that scores stays the
// library's. vader-words.test.ts checks the replacement against the library's own method.
import vader from 'vader-sentiment';

/** vader-sentiment's PUNC_LIST, in its order. */
const MARKS = [
  '.',
  '!',
  '?',
  ',',
  ';',
  ':',
  '-',
  "'",
  '"',
  '!!',
  '!!!',
  '??',
  '???',
  '?!?',
  '!?!',
  '?!?!',
  '!?!?',
];
/** vader-sentiment's REGEX_REMOVE_PUNCTUATION (`,-.` is a range: comma, hyphen, full stop). */
const PUNCTUATION = /[!"#$%&'()*+,-./:;<=>?@[\\\]^_`{|}~]/g;

interface SentiTextLike {
  text: string;
}
type Tokenizer = (this: SentiTextLike) => string[];

/** The tokens of `this.text` (longer than one character), each stripped of a mark that sits against a word of the line. */
export function wordsAndEmoticons(this: SentiTextLike): string[] {
  const words = new Set(
    this.text
      .replace(PUNCTUATION, '')
      .split(/\s/)
      .filter((word) => word.length > 1),
  );
  const tokens = this.text.split(/\s/).filter((token) => token.length > 1);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    for (const mark of MARKS) {
      if (token.startsWith(mark) && words.has(token.slice(mark.length))) {
        tokens[i] = token.slice(mark.length);
        break;
      }
      if (token.endsWith(mark) && words.has(token.slice(0, -mark.length))) {
        tokens[i] = token.slice(0, -mark.length);
        break;
      }
    }
  }
  return tokens;
}

/** SentiText's prototype, caught from the argument of one static method call while 'good' is scored. */
function findSentiTextPrototype(): Record<string, unknown> | undefined {
  const analyzer = vader.SentimentIntensityAnalyzer as unknown as Record<string, unknown>;
  const valence = analyzer.sentiment_valence;
  if (typeof valence !== 'function') return undefined;
  let prototype: Record<string, unknown> | undefined;
  analyzer.sentiment_valence = function (this: unknown, ...args: unknown[]) {
    prototype ??= Object.getPrototypeOf(args[1]) as Record<string, unknown>;
    return (valence as (...a: unknown[]) => unknown).apply(this, args);
  };
  try {
    vader.SentimentIntensityAnalyzer.polarity_scores('good');
  } finally {
    analyzer.sentiment_valence = valence;
  }
  return typeof prototype?.get_words_and_emoticons === 'function' ? prototype : undefined;
}

/** SentiText's prototype; undefined if this version of vader-sentiment is not shaped as expected (then nothing is replaced). */
export const sentiTextPrototype = findSentiTextPrototype();

/** The library's own tokenizer, kept for the test that compares the two. */
export const libraryWordsAndEmoticons = sentiTextPrototype?.get_words_and_emoticons as
  Tokenizer | undefined;

if (sentiTextPrototype) sentiTextPrototype.get_words_and_emoticons = wordsAndEmoticons;
