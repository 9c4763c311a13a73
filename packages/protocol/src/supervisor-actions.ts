// What a supervisor sends to act on a call. Who acts is never part of the body: it comes from
// the authenticated principal, so a request cannot act in someone else's name.
import { z } from 'zod';
import { SUPERVISOR_ACTIONS, type SupervisorActionKind } from './literals.ts';

/** Actions whose details are required, and what the details hold. */
export const DETAILS_REQUIRED: Partial<Record<SupervisorActionKind, string>> = {
  COACH_AGENT: 'the message for the agent',
  TRANSFER_CALL: 'the transfer target',
  ADD_NOTE: 'the note',
  FLAG_FOR_REVIEW: 'the reason for review',
};

export const supervisorActionRequest = z
  .strictObject({
    action: z.enum(SUPERVISOR_ACTIONS),
    details: z.string().trim().min(1).max(2000).optional(),
  })
  .superRefine((body, ctx) => {
    const needs = DETAILS_REQUIRED[body.action];
    if (needs && body.details === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['details'],
        message: `${body.action} needs details: ${needs}`,
      });
    }
  });
export type SupervisorActionRequest = z.infer<typeof supervisorActionRequest>;
