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

/** Actions kept as annotations after the call's live rows expire, to be found again. */
export const ANNOTATION_ACTIONS = ['ADD_NOTE', 'BOOKMARK_MOMENT', 'FLAG_FOR_REVIEW'] as const;
export type AnnotationAction = (typeof ANNOTATION_ACTIONS)[number];

export const annotationQuery = z.strictObject({
  callId: z.string().min(1).max(200).optional(),
  action: z.enum(ANNOTATION_ACTIONS).optional(),
  /** Annotations made before this time (ms since the epoch), for paging back. */
  before: z.coerce.number().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** A note, bookmark or flag, kept permanently with the call's campaign for scoping. */
export interface Annotation {
  id: string;
  callId: string;
  campaignId?: string;
  action: AnnotationAction;
  details?: string;
  supervisorId: string;
  supervisorName: string;
  timestamp: string;
  createdAt: number;
}
