// Phrase lists the analytics read conversations with. Matching is on lower-cased text with
// word boundaries. Short and explicit on purpose: docs/analytics.md lists them.

export const BUYING_SIGNALS = [
  'how much',
  'how soon',
  'when can',
  'sign me up',
  'sign up',
  'sounds good',
  'sounds great',
  'interested',
  "let's do it",
  'lets do it',
  'send me',
  'next step',
  'go ahead',
  'book it',
  'that works',
  'i like that',
];

export const OBJECTIONS = [
  'too expensive',
  'expensive',
  'not interested',
  'already have',
  'no time',
  'busy',
  'think about it',
  'need to think',
  "can't afford",
  'cannot afford',
  'not sure',
  'call me back',
  "don't need",
  'do not need',
  'not right now',
  'happy with',
];

/** A flat refusal: stronger than an objection, and not something an answer undoes. */
export const REFUSALS = [
  'not interested',
  'do not call',
  "don't call",
  'remove my number',
  'no thanks',
  'stop calling',
];

/** How an agent shows it heard an objection. */
export const ACKNOWLEDGEMENTS = [
  'understand',
  'i hear you',
  'fair point',
  "that's fair",
  'makes sense',
  'appreciate',
  'good question',
  'totally get',
  'i get that',
  'many customers',
  'what if',
];

export const PRICE_WORDS = [
  'price',
  'cost',
  'costs',
  'per month',
  'a month',
  'fee',
  'pay',
  '$',
  '£',
  '€',
];
export const VALUE_WORDS = [
  'save',
  'saving',
  'savings',
  'benefit',
  'value',
  'cut',
  'reduce',
  'return',
  'help you',
];
export const FILLERS = ['um', 'uh', 'erm', 'you know', 'kind of', 'sort of', 'basically'];
const QUESTION_STARTS = [
  'what',
  'how',
  'why',
  'when',
  'where',
  'who',
  'which',
  'could',
  'would',
  'can',
  'do',
  'does',
  'are',
  'is',
];

function escape(phrase: string): string {
  return phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const compiled = new WeakMap<readonly string[], RegExp[]>();

/** Each phrase as a whole-word pattern, compiled once per list. */
function patterns(list: readonly string[]): RegExp[] {
  let found = compiled.get(list);
  if (!found) {
    found = list.map((phrase) => {
      const body = escape(phrase.toLowerCase());
      const edge = /^\w/.test(phrase) ? '\\b' : '';
      const tail = /\w$/.test(phrase) ? '\\b' : '';
      return new RegExp(`${edge}${body}${tail}`);
    });
    compiled.set(list, found);
  }
  return found;
}

/** The phrases from `list` that occur in `text` as whole words. */
export function phrasesIn(text: string, list: readonly string[]): string[] {
  const lower = text.toLowerCase();
  const regexes = patterns(list);
  return list.filter((_, i) => regexes[i]!.test(lower));
}

export function containsAny(text: string, list: readonly string[]): boolean {
  return phrasesIn(text, list).length > 0;
}

/** A question: ends with "?" or opens with a question word. */
export function isQuestion(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed.endsWith('?')) return true;
  const first = trimmed.toLowerCase().split(/\s+/)[0] ?? '';
  return QUESTION_STARTS.includes(first.replace(/[^a-z]/g, '')) && trimmed.split(/\s+/).length > 3;
}

export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9'$£€]+/g) ?? [];
}
