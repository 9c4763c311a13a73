// Supervisors acting on a call: coach, join, transfer, end, note, bookmark, flag. Each request
// records one supervisorActions row in the acting principal's name (never the body's) and
// reaches every subscriber of the call like any other change.
import { parseOrThrow, supervisorActionRequest } from '@earshot/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AppDependencies } from './app.ts';
import { requireScope } from './authenticate.ts';

const callParams = z.strictObject({ callId: z.string().min(1).max(200) });

export function supervisorRoutes({ calls, keys, limiter }: AppDependencies): FastifyPluginAsync {
  return async (app) => {
    const monitor = requireScope(keys, 'monitor', limiter);

    app.post('/calls/:callId/actions', { preHandler: monitor }, async (request, reply) => {
      const { callId } = parseOrThrow(callParams, request.params, 'path');
      const body = parseOrThrow(supervisorActionRequest, request.body, 'request body');
      const principal = request.principal!;
      const action = await calls.act(callId, {
        supervisorId: principal.id,
        supervisorName: principal.name,
        action: body.action,
        ...(body.details !== undefined ? { details: body.details } : {}),
      });
      return reply.code(201).send({ action });
    });
  };
}
