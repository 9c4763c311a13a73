// Next actions: one immediate, one next and one follow-up suggestion, each with its reason,
// chosen from the call's phase, objectives and signals and replaced as the call moves on.
// docs/analytics.md#next-actions lists the choices in order of precedence.
import type { CallSnapshot, CampaignScript, NextActionPriority } from '@earshot/protocol';
import { closeReached } from './coaching.ts';
import { lastLines, type ConversationSignals } from './signals.ts';

export interface Suggestion {
  priority: NextActionPriority;
  action: string;
  reason: string;
}

export function suggestNextActions(
  signals: ConversationSignals,
  snapshot: CallSnapshot,
  script: CampaignScript,
): Suggestion[] {
  const objection = signals.openObjections.at(-1);
  const active = snapshot.callPhases.find((p) => p.status === 'active');
  const nextPhase = snapshot.callPhases
    .filter((p) => p.status === 'pending' && (active === undefined || p.order > active.order))
    .sort((a, b) => a.order - b.order)[0];
  const openObjective = [...snapshot.callObjectives]
    .sort((a, b) => a.order - b.order)
    .find((o) => o.status === 'in_progress' || o.status === 'pending');
  const closing = closeReached(snapshot);
  const negative = lastLines(signals, 'customer', 2);

  let immediate: Suggestion;
  if (objection) {
    immediate = {
      priority: 'immediate',
      action: 'Answer the objection',
      reason: `The customer said "${objection.text}" at ${objection.clock} and it has not been addressed`,
    };
  } else if (negative.length === 2 && negative.every((l) => l.label === 'negative')) {
    immediate = {
      priority: 'immediate',
      action: 'Acknowledge the frustration',
      reason: 'The customer’s last two lines were negative',
    };
  } else if (signals.buyingSignals >= 2 && !closing) {
    immediate = {
      priority: 'immediate',
      action: 'Ask for the commitment',
      reason: `${signals.buyingSignals} buying signals so far`,
    };
  } else if (openObjective) {
    immediate = {
      priority: 'immediate',
      action: `Work towards: ${openObjective.objective}`,
      reason: `Objective ${openObjective.status === 'pending' ? 'not started' : 'in progress'}`,
    };
  } else {
    immediate = {
      priority: 'immediate',
      action: 'Confirm the customer’s needs are met',
      reason: 'Every objective is settled',
    };
  }

  const description = nextPhase
    ? script.phases.find((p) => p.name === nextPhase.phase)?.description
    : undefined;
  const next: Suggestion = nextPhase
    ? {
        priority: 'next',
        action: `Move to ${nextPhase.phase}`,
        reason: description ? `Next in the script: ${description}` : 'Next in the script',
      }
    : {
        priority: 'next',
        action: 'Summarise and agree next steps',
        reason: 'The script is complete',
      };

  const completed = snapshot.callObjectives.filter((o) => o.status === 'completed').length;
  const followUp: Suggestion =
    completed === snapshot.callObjectives.length && completed > 0
      ? {
          priority: 'follow-up',
          action: 'Send a confirmation with what was agreed',
          reason: 'All objectives completed',
        }
      : {
          priority: 'follow-up',
          action: 'Schedule a follow-up call',
          reason:
            snapshot.callObjectives.length === 0
              ? 'The script sets no objectives to confirm'
              : `${snapshot.callObjectives.length - completed} objective(s) still open`,
        };
  return [immediate, next, followUp];
}
