// The HTTP application: fastify with one error handler that renders every failure as
// application/problem+json. Routes are small plugins registered here; they parse their
// input with the protocol's schemas and call one service function.
import { EarshotError, type Problem } from '@earshot/protocol';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import type { Logger } from 'pino';
import cookie from '@fastify/cookie';
import websocket from '@fastify/websocket';
import type { ApiKeyStore } from '../auth/api-keys.ts';
import type { AuditLog } from '../auth/audit-log.ts';
import type { RevocationChannel } from '../auth/revocation-channel.ts';
import type { Revocations } from '../auth/revocations.ts';
import type { UserStore } from '../auth/users.ts';
import { adminRoutes } from './admin-routes.ts';
import { Access } from './authenticate.ts';
import { sessionRoutes } from './session-routes.ts';
import type { CallHost } from '../ingest/call-host.ts';
import type { Store } from '../store/index.ts';
import { toEarshotError } from '../store/index.ts';
import { callRoutes } from './call-routes.ts';
import { campaignRoutes } from './campaign-routes.ts';
import { healthRoutes } from './health-routes.ts';
import { metricsRoutes } from './metrics-routes.ts';
import { supervisorRoutes } from './supervisor-routes.ts';
import { analyticsRoutes } from './analytics-routes.ts';
import { consoleRoutes } from './console-routes.ts';
import type { RateLimiter } from '../auth/rate-limiter.ts';
import type { SharedRateLimiter } from '../auth/shared-rate-limiter.ts';
import { openApiRoutes } from './openapi.ts';
import type { Hub } from '../realtime/hub.ts';
import {
  newRealtimeCounts,
  realtimeRoutes,
  type RealtimeOptions,
} from '../realtime/realtime-routes.ts';
import { Telemetry } from '../telemetry.ts';

/** What a route plugin gets: the app's dependencies and the one access guard. */
export interface RouteDependencies extends AppDependencies {
  access: Access;
}

export interface AppDependencies {
  store: Store;
  calls: CallHost;
  keys: ApiKeyStore;
  users: UserStore;
  audit: AuditLog;
  revocations: Revocations;
  /** With PostgreSQL: revocations to and from other processes (for /metrics). */
  revocationChannel?: RevocationChannel | undefined;
  hub: Hub;
  logger: Logger;
  /** Browser origins allowed on the realtime socket besides the server's own. */
  allowedOrigins?: readonly string[];
  realtime?: Pick<RealtimeOptions, 'session' | 'heartbeatMs' | 'helloTimeoutMs' | 'closeGraceMs'>;
  /** Milliseconds since the epoch, injected so tests control time. */
  clock: () => number;
  /** Per-key and per-user request limits on the API routes (none: unlimited). */
  limiter?: RateLimiter;
  /** Sign-in attempts per username, shared by every process (none: unlimited). */
  signInLimiter?: Pick<SharedRateLimiter, 'take'>;
  /** Sign-in attempts across all usernames (each costs a 32 MiB password hash). */
  signInCeiling?: RateLimiter;
  /** The built console (packages/web/dist) to serve at /; none serves only the API. */
  consoleRoot?: string;
  /** Rows waiting for the database above which streaming ingest sockets pause. */
  maxWriteBacklog?: number;
  /** Largest request body accepted (413 above it). */
  bodyLimit?: number;
  /** Trust a proxy's X-Forwarded-* headers (client address, https). */
  trustProxy?: boolean;
}

export function sendProblem(reply: FastifyReply, error: EarshotError): FastifyReply {
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
  const problem: Problem = error.toProblem();
  return reply.code(error.status).type('application/problem+json').send(problem);
}

/** Maps whatever a handler threw (fastify's own errors included) to the one error type. */
function asEarshotError(error: unknown): EarshotError {
  if (error instanceof EarshotError) return error;
  const fastifyError = error as { statusCode?: number; code?: string; message?: string };
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new EarshotError('payload_too_large', 'Request body is too large', { cause: error });
  }
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new EarshotError('unsupported_media_type', 'Content-Type must be application/json', {
      fields: [{ field: '(content-type)', message: 'Expected application/json' }],
    });
  }
  if (fastifyError.code === 'FST_ERR_MAX_PARAM_LENGTH' || fastifyError.code === 'FST_ERR_BAD_URL') {
    return new EarshotError('validation', 'The request path is malformed or too long', {
      fields: [{ field: '(path)', message: fastifyError.message ?? 'Malformed path' }],
    });
  }
  if (fastifyError.statusCode === 400) {
    return new EarshotError('validation', fastifyError.message ?? 'Malformed request', {
      fields: [{ field: '(body)', message: fastifyError.message ?? 'Malformed JSON' }],
      cause: error,
    });
  }
  return toEarshotError(error);
}

export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Request bodies are capped here; the ingest routes set their own documented limits.
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    // Behind a TLS-terminating proxy, request.protocol and request.ip come from its headers.
    trustProxy: deps.trustProxy ?? false,
    // Per-request lines would drown the log at ingest rates; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // A call id may be 200 characters (startCallRequest); fastify's default of 100 refused the
    // paths of calls with longer ids. Longer ones reach the route's own check, which names them.
    routerOptions: { maxParamLength: 256 },
    // The router's own refusals (a path parameter too long, a malformed URL) are problems too.
    frameworkErrors: (error, _request, reply) => sendProblem(reply, asEarshotError(error)),
  });

  // JSON only: a text/plain body is refused with 415 rather than parsed as a string.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((error, request, reply) => {
    const earshot = asEarshotError(error);
    // A 503 is an expected state (the outage is logged once by the write-behind), not a bug.
    if (earshot.status >= 500 && earshot.kind !== 'unavailable') {
      request.log.error({ err: earshot.cause ?? earshot }, earshot.message);
    }
    return sendProblem(reply, earshot);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, new EarshotError('not_found', `No route ${request.method} ${request.url}`)),
  );

  await app.register(cookie);
  await app.register(websocket, { options: { maxPayload: deps.bodyLimit ?? 1024 * 1024 } });
  const access = new Access({
    keys: deps.keys,
    users: deps.users,
    audit: deps.audit,
    allowedOrigins: deps.allowedOrigins ?? [],
    ...(deps.limiter ? { limiter: deps.limiter } : {}),
  });
  const routes = { ...deps, access };
  const realtimeCounts = newRealtimeCounts();
  const telemetry = new Telemetry({
    calls: deps.calls,
    hub: deps.hub,
    realtime: realtimeCounts,
    database: deps.store.database,
    revocationChannel: deps.revocationChannel,
  });
  await app.register(healthRoutes(deps), { prefix: '/api/v1' });
  await app.register(metricsRoutes(routes, telemetry), { prefix: '/api/v1' });
  await app.register(openApiRoutes(), { prefix: '/api/v1' });
  await app.register(sessionRoutes(routes), { prefix: '/api/v1' });
  await app.register(adminRoutes(routes), { prefix: '/api/v1' });
  await app.register(callRoutes(routes), { prefix: '/api/v1' });
  await app.register(campaignRoutes(routes), { prefix: '/api/v1' });
  await app.register(supervisorRoutes(routes), { prefix: '/api/v1' });
  await app.register(analyticsRoutes(routes), { prefix: '/api/v1' });
  await app.register(
    realtimeRoutes({
      hub: deps.hub,
      access,
      revocations: deps.revocations,
      allowedOrigins: deps.allowedOrigins ?? [],
      clock: deps.clock,
      counts: realtimeCounts,
      ...deps.realtime,
    }),
    { prefix: '/api/v1' },
  );
  if (deps.consoleRoot) await app.register(consoleRoutes(deps.consoleRoot));
  return app;
}
