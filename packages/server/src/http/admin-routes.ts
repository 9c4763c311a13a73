// Administration, for admins only: users (with their role and campaigns), API keys and the
// audit log. Every change is audited with the names of the fields changed, never secrets:
// a one-time password or a new key is in the response once and nowhere else.
import {
  auditQuery,
  createKeyRequest,
  createUserRequest,
  parseOrThrow,
  updateUserRequest,
} from '@earshot/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { RouteDependencies } from './app.ts';

const userParams = z.strictObject({ id: z.string().min(1).max(64) });
const keyParams = z.strictObject({ id: z.string().min(1).max(64) });

export function adminRoutes({
  users,
  keys,
  access,
  audit,
  clock,
}: RouteDependencies): FastifyPluginAsync {
  return async (app) => {
    const admin = access.guard('admin');

    app.get('/users', { preHandler: admin }, async () => ({ users: await users.list() }));

    app.post('/users', { preHandler: admin }, async (request, reply) => {
      const body = parseOrThrow(createUserRequest, request.body, 'request body');
      const created = await users.create(
        body,
        access.recordWith(request, (made) => ({
          event: 'user_created',
          target: made.user.username,
          detail: { role: body.role, campaignIds: body.campaignIds },
        })),
      );
      return reply.code(201).send(created);
    });

    app.patch('/users/:id', { preHandler: admin }, async (request) => {
      const { id } = parseOrThrow(userParams, request.params, 'path');
      const patch = parseOrThrow(updateUserRequest, request.body, 'request body');
      const user = await users.update(
        id,
        patch,
        access.recordWith(request, (updated) => ({
          event: 'user_updated',
          target: updated.username,
          detail: {
            fields: Object.keys(patch),
            ...(patch.role !== undefined ? { role: patch.role } : {}),
            ...(patch.campaignIds !== undefined ? { campaignIds: patch.campaignIds } : {}),
            ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
          },
        })),
      );
      return { user };
    });

    app.post('/users/:id/password-reset', { preHandler: admin }, async (request) => {
      const { id } = parseOrThrow(userParams, request.params, 'path');
      const reset = await users.resetPassword(
        id,
        access.recordWith(request, (done) => ({
          event: 'password_reset',
          target: done.user.username,
        })),
      );
      return reset;
    });

    app.get('/keys', { preHandler: admin }, async () => ({ keys: await keys.list() }));

    app.post('/keys', { preHandler: admin }, async (request, reply) => {
      const body = parseOrThrow(createKeyRequest, request.body, 'request body');
      const created = await keys.create(
        {
          name: body.name,
          scopes: body.scopes,
          ...(body.expiresInDays !== undefined
            ? { expiresAt: clock() + body.expiresInDays * 86_400_000 }
            : {}),
        },
        access.recordWith(request, (made) => ({
          event: 'key_created',
          target: made.info.id,
          detail: { name: body.name, scopes: body.scopes },
        })),
      );
      return reply.code(201).send(created);
    });

    app.delete('/keys/:id', { preHandler: admin }, async (request) => {
      const { id } = parseOrThrow(keyParams, request.params, 'path');
      const key = await keys.revoke(
        id,
        access.recordWith(request, (revoked) => ({
          event: 'key_revoked',
          target: revoked.id,
          detail: { name: revoked.name },
        })),
      );
      return { key };
    });

    app.get('/audit', { preHandler: admin }, async (request) => {
      const filter = parseOrThrow(auditQuery, request.query, 'query');
      return { entries: await audit.list(filter) };
    });
  };
}
