// Console sign-in: POST /session checks a password and sets the session cookie; GET /session
// says who is signed in and what they may do; DELETE /session signs out; POST
// /session/password changes the password (the only thing a one-time password allows).
import {
  changePasswordRequest,
  EarshotError,
  parseOrThrow,
  signInRequest,
  type SessionInfo,
} from '@earshot/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.ts';
import type { RouteDependencies } from './app.ts';
import { clearSessionCookie, setSessionCookie } from './authenticate.ts';

function userOnly(request: FastifyRequest): Principal {
  const principal = request.principal!;
  if (principal.kind !== 'user') {
    throw new EarshotError('forbidden', 'API keys have no session; sign in as a user');
  }
  return principal;
}

export function sessionRoutes({
  users,
  access,
  audit,
  clock,
  signInLimiter,
  signInCeiling,
}: RouteDependencies): FastifyPluginAsync {
  return async (app) => {
    const signedIn = access.guard(undefined, { duringPasswordChange: true });

    const describe = async (principal: Principal): Promise<SessionInfo> => ({
      user: await users.get(principal.id),
      permissions: [...principal.permissions],
      expiresAt: principal.expiresAt!,
    });

    app.post('/session', async (request, reply) => {
      const body = parseOrThrow(signInRequest, request.body, 'request body');
      const username = body.username.toLowerCase();
      // Per username, so guessing one account's password is slow whatever the source address.
      await signInLimiter?.take(`sign-in:${username}`);
      // And overall, so many usernames at once cannot keep the password hashing busy.
      signInCeiling?.take('sign-in');
      let signedInAs;
      try {
        // The session and its sign_in entry commit together.
        signedInAs = await users.signIn(
          username,
          body.password,
          audit.recordWith(({ principal }) => ({
            event: 'sign_in',
            actor: principal,
            target: username,
            ip: request.ip,
          })),
        );
      } catch (error) {
        if (error instanceof EarshotError && error.kind === 'unauthorized') {
          // Only a real account's name: what was typed may be a password in the wrong field.
          const target = (await users.exists(username)) ? username : '(unknown user)';
          await audit.record({ event: 'sign_in_failed', target, ip: request.ip });
        }
        throw error;
      }
      const { token, principal } = signedInAs;
      setSessionCookie(request, reply, token, principal.expiresAt!, clock());
      return describe(principal);
    });

    app.get('/session', { preHandler: signedIn }, async (request) => describe(userOnly(request)));

    app.delete('/session', { preHandler: signedIn }, async (request, reply) => {
      const principal = userOnly(request);
      await users.endSession(
        principal.credentialId,
        access.recordWith(request, () => ({ event: 'sign_out' })),
      );
      clearSessionCookie(reply);
      return reply.code(204).send();
    });

    app.post('/session/password', { preHandler: signedIn }, async (request, reply) => {
      const principal = userOnly(request);
      const body = parseOrThrow(changePasswordRequest, request.body, 'request body');
      // Guessing the current password from a stolen session is as slow as guessing at sign-in.
      await signInLimiter?.take(`password:${principal.id}`);
      await users.changePassword(
        principal.id,
        body.currentPassword,
        body.newPassword,
        principal.credentialId,
        access.recordWith(request, () => ({ event: 'password_changed' })),
      );
      return reply.code(204).send();
    });
  };
}
