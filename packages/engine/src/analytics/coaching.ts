// Coaching rules: each looks at the call and says whether its advice applies now. The engine
// keeps one active recommendation per rule (never duplicated) and retires it when the rule
// stops applying (resolved). One-off praise expires after a minute. Rules: docs/analytics.md.
import type { CallSnapshot, CoachingType } from '@earshot/protocol';
import type { ConversationSignals } from './signals.ts';
import { lastLines, recentAgentShare } from './signals.ts';

export interface CoachingAdvice {
  /** The rule's title: also its identity (one active recommendation per title). */
  title: string;
  type: CoachingType;
  priority: number;
  description: string;
}

export interface RuleContext {
  signals: ConversationSignals;
  snapshot: CallSnapshot;
  now: number;
}

export interface CoachingRule {
  title: string;
  type: CoachingType;
  priority: number;
  /** The description when the rule applies, or undefined. */
  applies(context: RuleContext): string | undefined;
}

const PITCH_NAMES = /pitch|value|offer|present|solution|demo/i;
const CLOSE_NAMES = /close|closing|book|next step|wrap/i;

function phaseReached(snapshot: CallSnapshot, pattern: RegExp): boolean {
  return snapshot.callPhases.some(
    (p) => pattern.test(p.phase) && (p.status === 'active' || p.status === 'completed'),
  );
}

/**
 * Whether the call has reached a close: a phase named for one (close, closing, book, next
 * step, wrap) that is active or completed. The coaching rule and the next actions ask the
 * same question, so a script's "Closing" or "Wrap-up" counts for both.
 */
export function closeReached(snapshot: CallSnapshot): boolean {
  return phaseReached(snapshot, CLOSE_NAMES);
}

export const COACHING_RULES: readonly CoachingRule[] = [
  {
    title: 'Let the customer talk',
    type: 'warning',
    priority: 7,
    applies: ({ signals, now }) => {
      const share = recentAgentShare(signals, now);
      return share !== undefined && share > 0.65
        ? `You have spoken ${Math.round(share * 100)}% of the last two minutes. Ask an open question and listen.`
        : undefined;
    },
  },
  {
    title: 'Break up the monologue',
    type: 'warning',
    priority: 6,
    applies: ({ signals, now }) =>
      signals.lastSpeaker === 'agent' &&
      signals.runStartedAt !== undefined &&
      now - signals.runStartedAt > 45_000
        ? `You have been speaking for ${Math.round((now - signals.runStartedAt) / 1000)} s without a break. Check in with the customer.`
        : undefined,
  },
  {
    title: 'Stop interrupting',
    type: 'warning',
    priority: 6,
    applies: ({ signals, now }) => {
      const recent = signals.agentInterruptionTimes.filter((t) => now - t <= 120_000).length;
      return recent >= 2
        ? `You talked over the customer ${recent} times in the last two minutes. Let them finish.`
        : undefined;
    },
  },
  {
    title: 'Recover the mood',
    type: 'warning',
    priority: 8,
    applies: ({ signals }) => {
      const last = lastLines(signals, 'customer', 3);
      return last.length === 3 && last.every((l) => l.label === 'negative')
        ? 'The customer has been negative three times running. Acknowledge their concern before moving on.'
        : undefined;
    },
  },
  {
    title: 'Address the objection',
    type: 'warning',
    priority: 8,
    applies: ({ signals }) => {
      const open = signals.openObjections.at(-1);
      return open
        ? `At ${open.clock} the customer said "${open.text}". Acknowledge it and answer it.`
        : undefined;
    },
  },
  {
    title: 'Discover before pitching',
    type: 'suggestion',
    priority: 6,
    applies: ({ signals, snapshot }) =>
      phaseReached(snapshot, PITCH_NAMES) && (signals.questionsBeforePitch ?? 0) < 2
        ? 'The pitch started after fewer than two discovery questions. Ask about needs to tailor it.'
        : undefined,
  },
  {
    title: 'Value before price',
    type: 'suggestion',
    priority: 5,
    applies: ({ signals }) =>
      signals.priceFirstAt !== undefined &&
      (signals.valueFirstAt === undefined || signals.valueFirstAt > signals.priceFirstAt)
        ? 'Price came up before any benefit. Tie the price to what the customer gains.'
        : undefined,
  },
  {
    title: 'Fill the silence',
    type: 'suggestion',
    priority: 4,
    applies: ({ signals, now }) =>
      signals.silenceStartedAt !== undefined && now - signals.silenceStartedAt > 8_000
        ? `Nobody has spoken for ${Math.round((now - signals.silenceStartedAt) / 1000)} s. Re-engage with a question.`
        : undefined,
  },
  {
    title: 'Objective reached',
    type: 'positive',
    priority: 3,
    // Praise for a minute after the latest completion, then retire.
    applies: ({ signals, now }) =>
      signals.lastCompletion && now - signals.lastCompletion.at < 60_000
        ? `"${signals.lastCompletion.objective}" is done. Keep the momentum.`
        : undefined,
  },
  {
    title: 'Ask for the commitment',
    type: 'suggestion',
    priority: 7,
    applies: ({ signals, snapshot }) =>
      signals.buyingSignals >= 2 && !closeReached(snapshot)
        ? `The customer has shown interest ${signals.buyingSignals} times. Move to the close.`
        : undefined,
  },
  {
    title: 'Good rapport',
    type: 'positive',
    priority: 2,
    applies: ({ signals }) => {
      const last = lastLines(signals, 'customer', 3);
      return last.length === 3 && last.every((l) => l.label === 'positive')
        ? 'The customer is warm. Build on it.'
        : undefined;
    },
  },
];

export function adviceNow(context: RuleContext): CoachingAdvice[] {
  return COACHING_RULES.flatMap((rule) => {
    const description = rule.applies(context);
    return description
      ? [{ title: rule.title, type: rule.type, priority: rule.priority, description }]
      : [];
  });
}
