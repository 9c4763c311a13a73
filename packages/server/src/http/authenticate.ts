// Authentication for machine clients: `Authorization: Bearer esk_...` with the needed scope.
// Runs before the handler (and before a WebSocket upgrade), so an unauthenticated request
// never reaches a route.
import { EarshotError } from '@earshot/protocol';
import type { FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { ApiKeyScope, ApiKeyStore, Principal } from '../auth/api-keys.ts';
import type { RateLimiter } from '../auth/rate-limiter.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

function bearer(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) {
    throw new EarshotError('unauthorized', 'Missing Authorization header', {
      fields: [{ field: '(authorization)', message: 'Expected "Bearer <api key>"' }],
    });
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) {
    throw new EarshotError('unauthorized', 'Authorization must be "Bearer <api key>"', {
      fields: [{ field: '(authorization)', message: 'Expected "Bearer <api key>"' }],
    });
  }
  return match[1]!;
}

export function requireScope(
  keys: ApiKeyStore,
  scope: ApiKeyScope,
  limiter?: RateLimiter,
): preHandlerHookHandler {
  return async (request) => {
    const principal = await keys.verify(bearer(request));
    if (!principal.scopes.includes(scope)) {
      throw new EarshotError('forbidden', `This API key lacks the "${scope}" scope`);
    }
    limiter?.take(principal.id);
    request.principal = principal;
  };
}
