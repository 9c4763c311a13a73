// A supervisor's actions on a call: recorded in order, redacted, and for the actions on the
// call itself, handed to the voice platform through the outbox in the same commit.
import {
  ACTIONS_ON_CALL,
  ANNOTATION_ACTIONS,
  type AnnotationAction,
  EarshotError,
  type SupervisorAction,
  type SupervisorActionKind,
} from '@earshot/protocol';
import type { Mutation } from './mutations.ts';
import {
  clockAt,
  iso,
  redactFreeText,
  snapshotWith,
  type CallState,
  type EngineContext,
} from './call-state.ts';

export interface SupervisorActionInput {
  supervisorId: string;
  supervisorName: string;
  action: SupervisorActionKind;
  details?: string;
  /** A voice platform is configured: actions on the call go to it through the outbox. */
  deliver?: boolean;
  /**
   * The action's id, when the request named one (derived from its Idempotency-Key): an action
   * the call already holds under this id is that request's, retried, and is not taken again.
   */
  id?: string;
}

function isAnnotation(action: SupervisorActionKind): action is AnnotationAction {
  return (ANNOTATION_ACTIONS as readonly string[]).includes(action);
}

/**
 * Records a supervisor's action on the call (one supervisorActions row, in order). A bookmark
 * records the call time in its details. Notes, bookmarks and flags are accepted after the
 * call ends (while its live rows are kept); actions on the call itself are not.
 */
export function recordSupervisorAction(
  state: CallState,
  input: SupervisorActionInput,
  ctx: EngineContext,
): { state: CallState; mutations: Mutation[]; action: SupervisorAction } {
  const call = state.snapshot.liveCall;
  if (input.id !== undefined) {
    const taken = state.snapshot.supervisorActions.find((a) => a._id === input.id);
    if (taken) {
      if (taken.action !== input.action)
        throw new EarshotError(
          'conflict',
          `This Idempotency-Key was used for ${taken.action}, not ${input.action}`,
          { fields: [{ field: '(idempotency-key)', message: 'Already used for another action' }] },
        );
      return { state, mutations: [], action: taken };
    }
  }
  const actsOnCall = ACTIONS_ON_CALL.has(input.action);
  if (call.status === 'ended' && actsOnCall) {
    throw new EarshotError('conflict', `Call ${call.callId} has ended`, {
      fields: [{ field: 'action', message: `${input.action} needs a live call` }],
    });
  }
  const clock = clockAt(
    call,
    call.status === 'ended' && call.endedAt ? Date.parse(call.endedAt) : ctx.now,
  );
  // A supervisor may quote the customer: the text is redacted before it is stored, published,
  // kept as an annotation or sent to the voice platform. A transfer's details are where the
  // call goes: a number there is the destination, and redacting it would make the transfer
  // impossible (decision 0037); anything else in them is still redacted.
  const written =
    input.details === undefined
      ? undefined
      : redactFreeText(
          state,
          input.details,
          'details',
          ctx,
          input.action === 'TRANSFER_CALL' ? ['phone'] : [],
        );
  const details =
    input.action === 'BOOKMARK_MOMENT' ? (written ? `${clock} ${written}` : clock) : written;
  const action: SupervisorAction = {
    _id: input.id ?? ctx.newId(),
    _creationTime: ctx.now,
    liveCallId: call._id,
    supervisorId: input.supervisorId,
    supervisorName: input.supervisorName,
    action: input.action,
    ...(details !== undefined ? { details } : {}),
    timestamp: iso(ctx.now),
    order: state.snapshot.supervisorActions.length,
    ...(actsOnCall
      ? { delivery: { status: input.deliver ? 'pending' : 'not_configured', attempts: 0 } }
      : {}),
  };
  const mutations: Mutation[] = [{ table: 'supervisorActions', doc: action }];
  if (isAnnotation(input.action)) {
    mutations.push({
      table: 'callAnnotations',
      doc: {
        _id: action._id,
        _creationTime: ctx.now,
        callId: call.callId,
        ...(call.campaignId ? { campaignId: call.campaignId } : {}),
        action: input.action,
        ...(details !== undefined ? { details } : {}),
        supervisorId: action.supervisorId,
        supervisorName: action.supervisorName,
        timestamp: action.timestamp,
        createdAt: ctx.now,
      },
    });
  }
  if (actsOnCall && input.deliver) {
    // Written in the same commit as the action: it is delivered if and only if it exists.
    mutations.push({
      table: 'outbox',
      doc: {
        _id: ctx.newId(),
        _creationTime: ctx.now,
        liveCallId: call._id,
        callId: call.callId,
        actionId: action._id,
        actionOrder: action.order,
        payload: {
          id: action._id,
          type: action.action,
          callId: call.callId,
          sessionId: call.sessionId,
          ...(details !== undefined ? { details } : {}),
          supervisor: { id: action.supervisorId, name: action.supervisorName },
          requestedAt: action.timestamp,
        },
        status: 'pending',
        attempts: 0,
        nextAttemptAt: ctx.now,
        createdAt: ctx.now,
      },
    });
  }
  return {
    state: withActions(state, [...state.snapshot.supervisorActions, action]),
    mutations,
    action,
  };
}

function withActions(state: CallState, supervisorActions: SupervisorAction[]): CallState {
  const { liveTranscripts: _rows, ...fields } = state.snapshot;
  return { ...state, snapshot: snapshotWith(state.transcripts, { ...fields, supervisorActions }) };
}

/** Records where an action's delivery to the voice platform stands (from the dispatcher). */
export function setActionDelivery(
  state: CallState,
  actionId: string,
  delivery: NonNullable<SupervisorAction['delivery']>,
): { state: CallState; mutations: Mutation[] } {
  const actions = state.snapshot.supervisorActions;
  const index = actions.findIndex((a) => a._id === actionId);
  if (index < 0) return { state, mutations: [] };
  const doc: SupervisorAction = { ...actions[index]!, delivery };
  const next = [...actions];
  next[index] = doc;
  return { state: withActions(state, next), mutations: [{ table: 'supervisorActions', doc }] };
}
