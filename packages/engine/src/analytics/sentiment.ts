// Sentiment of transcript lines with VADER (a lexicon model that handles negation, intensifiers
// and punctuation), and the call's running summary. Formulas: docs/analytics.md#sentiment.
import type { Sentiment, SentimentTrend } from '@earshot/protocol';
import vader from 'vader-sentiment';
import { RowList } from '../row-list.ts';
// Replaces VADER's tokenizer with an equivalent that does not build a table per line.
import './vader-words.ts';

/** VADER's own thresholds on the compound score (-1..1). */
export const POSITIVE_AT = 0.05;
export const NEGATIVE_AT = -0.05;
/** Lines compared on each side of the trend window. */
export const TREND_WINDOW = 5;
/** Difference in mean compound score between the windows that counts as a change. */
export const TREND_THRESHOLD = 0.1;

export interface ScoredLine {
  /** The transcript row's order: summaries follow the conversation, not arrival. */
  order: number;
  compound: number;
  label: Sentiment;
  speaker: 'agent' | 'customer';
  clock: string;
  text: string;
}

export function scoreText(text: string): { compound: number; label: Sentiment } {
  const { compound } = vader.SentimentIntensityAnalyzer.polarity_scores(text);
  return {
    compound,
    label: compound >= POSITIVE_AT ? 'positive' : compound <= NEGATIVE_AT ? 'negative' : 'neutral',
  };
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

function moment(line: ScoredLine): string {
  const words = line.text.length > 120 ? `${line.text.slice(0, 117)}...` : line.text;
  return `${line.clock} "${words}"`;
}

export interface SentimentSummary {
  positivePercentage: number;
  neutralPercentage: number;
  negativePercentage: number;
  trend: SentimentTrend;
  lastPositiveMoment?: string;
  lastNegativeMoment?: string;
}

/**
 * What the summary needs from all of a call's lines, kept as lines arrive so that a summary
 * costs the same on the 5,000th line as on the first.
 */
export interface SentimentTally {
  counts: Record<Sentiment, number>;
  /** The latest line (by order) of each polar label. */
  lastPositive?: ScoredLine;
  lastNegative?: ScoredLine;
}

export function emptyTally(): SentimentTally {
  return { counts: { positive: 0, neutral: 0, negative: 0 } };
}

/** The tally with one more line. */
export function addToTally(tally: SentimentTally, line: ScoredLine): SentimentTally {
  const next: SentimentTally = {
    ...tally,
    counts: { ...tally.counts, [line.label]: tally.counts[line.label] + 1 },
  };
  if (line.label === 'positive' && (tally.lastPositive?.order ?? -Infinity) <= line.order)
    next.lastPositive = line;
  if (line.label === 'negative' && (tally.lastNegative?.order ?? -Infinity) <= line.order)
    next.lastNegative = line;
  return next;
}

/** The tally of a whole list (used when a line is corrected, which is rare). */
export function tallyLines(lines: Iterable<ScoredLine>): SentimentTally {
  let tally = emptyTally();
  for (const line of lines) tally = addToTally(tally, line);
  return tally;
}

/**
 * The call's sentiment from its final lines, which must be in conversation order. The tally
 * of those lines may be passed in when the caller keeps one.
 */
export function summarizeSentiment(
  lines: readonly ScoredLine[] | RowList<ScoredLine>,
  tally: SentimentTally = tallyLines(lines),
): SentimentSummary {
  const { counts, lastPositive, lastNegative } = tally;
  const total = counts.positive + counts.neutral + counts.negative;
  const share = (label: Sentiment) =>
    total === 0 ? (label === 'neutral' ? 100 : 0) : Math.round((1000 * counts[label]) / total) / 10;
  const last =
    lines instanceof RowList ? lines.tail(2 * TREND_WINDOW) : lines.slice(-2 * TREND_WINDOW);
  const recent = last.slice(-TREND_WINDOW).map((l) => l.compound);
  const before = last.slice(-2 * TREND_WINDOW, -TREND_WINDOW).map((l) => l.compound);
  let trend: SentimentTrend = 'stable';
  if (before.length >= 2 && recent.length >= 2) {
    const change = mean(recent) - mean(before);
    trend =
      change >= TREND_THRESHOLD ? 'improving' : change <= -TREND_THRESHOLD ? 'declining' : 'stable';
  }
  const positivePercentage = share('positive');
  const negativePercentage = share('negative');
  return {
    positivePercentage,
    negativePercentage,
    // The remainder, so the three always add up to 100 despite rounding.
    neutralPercentage: Math.max(
      0,
      Math.round((100 - positivePercentage - negativePercentage) * 10) / 10,
    ),
    trend,
    ...(lastPositive ? { lastPositiveMoment: moment(lastPositive) } : {}),
    ...(lastNegative ? { lastNegativeMoment: moment(lastNegative) } : {}),
  };
}
