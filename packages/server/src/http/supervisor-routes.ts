// Supervisors acting on a call: coach, join, transfer, end, note, bookmark, flag. Each request
// records one supervisorActions row in the acting principal's name (never the body's) and
// reaches every subscriber of the call like any other change. A call outside the principal's
// campaigns answers 404 whatever the role; an action the role lacks answers 403.
import { annotationQuery, parseOrThrow, supervisorActionRequest } from '@earshot/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { assertPermission } from '../auth/principal.ts';
import { stillReadingBack } from '../ingest/call-host.ts';
import type { RouteDependencies } from './app.ts';

const callParams = z.strictObject({ callId: z.string().min(1).max(200) });
/** An optional Idempotency-Key: printable ASCII, as an HTTP header can carry it. */
const idempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, '1-200 printable ASCII characters, no spaces')
    .optional(),
});

export function supervisorRoutes({ calls, store, access }: RouteDependencies): FastifyPluginAsync {
  return async (app) => {
    const watch = access.guard('calls:watch');
    // The call as held or, for an ended call a restart has not read back yet, its campaign:
    // the scope check comes first, so a foreign call is a 404 either way.
    const callToCheck = (
      callId: string,
      held: { callId: string; campaignId?: string } | undefined,
    ) => {
      const pending = held ? undefined : calls.readingBack?.(callId);
      return held ?? (pending ? { callId, ...pending } : undefined);
    };

    app.post('/calls/:callId/actions', { preHandler: watch }, async (request, reply) => {
      const { callId } = parseOrThrow(callParams, request.params, 'path');
      await access.visibleCall(
        request,
        callId,
        callToCheck(callId, calls.snapshot(callId)?.liveCall),
      );
      const body = parseOrThrow(supervisorActionRequest, request.body, 'request body');
      const key = parseOrThrow(idempotencyHeader, request.headers, 'headers')['idempotency-key'];
      const principal = request.principal!;
      try {
        assertPermission(principal, `act:${body.action}`);
      } catch (error) {
        await access.refused(request, error, principal, `act:${body.action}`);
        throw error;
      }
      // A request retried with its Idempotency-Key (after a 503 or a lost answer, say) gets the
      // action it took the first time, 200, once that one is committed, rather than taking it
      // again: the id is the key's, per user and live call (action-idempotency.ts), so a
      // transfer is never sent to the platform twice. The audit entry commits with the action.
      const { action, retried } = await calls.act(
        callId,
        {
          supervisorId: principal.id,
          supervisorName: principal.name,
          action: body.action,
          ...(body.details !== undefined ? { details: body.details } : {}),
          ...(key !== undefined ? { idempotencyKey: key } : {}),
        },
        { actor: { kind: principal.kind, id: principal.id, name: principal.name }, ip: request.ip },
      );
      return reply.code(retried ? 200 : 201).send({ action });
    });

    // The call's actions in order, while its live rows are held (an hour after it ends).
    app.get('/calls/:callId/actions', { preHandler: watch }, async (request) => {
      const { callId } = parseOrThrow(callParams, request.params, 'path');
      const snapshot = calls.snapshot(callId);
      await access.visibleCall(request, callId, callToCheck(callId, snapshot?.liveCall));
      if (!snapshot) throw stillReadingBack(callId);
      return { actions: snapshot.supervisorActions };
    });

    // Notes, bookmarks and flags, kept after the call: newest first, within the principal's campaigns.
    app.get('/annotations', { preHandler: watch }, async (request) => {
      const filter = parseOrThrow(annotationQuery, request.query, 'query');
      return {
        annotations: await store.analytics.annotations(filter, request.principal!.campaigns),
      };
    });
  };
}
