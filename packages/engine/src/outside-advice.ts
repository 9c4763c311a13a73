// Coaching and next actions from an outside adviser (an LLM), added to a live call once
// redacted like everything else that did not come from the call's audio.
import { type CoachingRecommendation, type NextAction } from '@earshot/protocol';
import type { Mutation } from './mutations.ts';
import {
  Draft,
  clockAt,
  redactFreeText,
  type CallState,
  type EngineContext,
} from './call-state.ts';
import { addCoaching } from './live-call.ts';

/** Coaching and next actions from an outside adviser (an LLM), in the seed's shapes. */
export interface OutsideAdvice {
  coaching: Array<{
    type: CoachingRecommendation['type'];
    title: string;
    description: string;
    priority: number;
  }>;
  nextActions: Array<{ action: string; priority: NextAction['priority']; reason: string }>;
}

/**
 * Adds an outside adviser's coaching and next actions to a live call. A recommendation whose
 * title is already active is not added again; nothing is added to an ended call.
 */
export function addAdvice(
  state: CallState,
  advice: OutsideAdvice,
  ctx: EngineContext,
): { state: CallState; mutations: Mutation[] } {
  if (state.snapshot.liveCall.status === 'ended') return { state, mutations: [] };
  advice = redactAdvice(state, advice, ctx);
  const draft = new Draft(state);
  const clock = clockAt(draft.call, ctx.now);
  const coaching = draft.writable('coachingRecommendations');
  for (const item of advice.coaching) {
    if (coaching.some((c) => c.isActive && c.title === item.title)) continue;
    addCoaching(draft, item, clock, ctx);
  }
  const actions = draft.writable('nextActions');
  for (const item of advice.nextActions) {
    if (actions.some((a) => a.action === item.action)) continue;
    const doc: NextAction = {
      _id: ctx.newId(),
      _creationTime: ctx.now,
      liveCallId: draft.call._id,
      action: item.action,
      priority: item.priority,
      reason: item.reason,
      suggestedAt: clock,
      order: actions.length,
    };
    actions.push(doc);
    draft.mutations.push({ table: 'nextActions', doc });
  }
  return { state: draft.state(state.lastEventAt), mutations: draft.mutations };
}

/**
 * An adviser reads only redacted transcripts, but a model may still write digits or an
 * address of its own: its text goes through the same redaction.
 */
function redactAdvice(state: CallState, advice: OutsideAdvice, ctx: EngineContext): OutsideAdvice {
  const text = (value: string, field: string) => redactFreeText(state, value, field, ctx);
  return {
    coaching: advice.coaching.map((item, i) => ({
      ...item,
      title: text(item.title, `coaching.${i}.title`),
      description: text(item.description, `coaching.${i}.description`),
    })),
    nextActions: advice.nextActions.map((item, i) => ({
      ...item,
      action: text(item.action, `nextActions.${i}.action`),
      reason: text(item.reason, `nextActions.${i}.reason`),
    })),
  };
}
