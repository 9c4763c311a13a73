// Authentication and permission checks for every route, before the handler runs (and before
// a WebSocket upgrade), so an unauthenticated or unpermitted request never reaches a route.
// Machines send `Authorization: Bearer esk_...`; people's browsers send the session cookie.
// A request authenticated by cookie that changes something must come from an allowed Origin
// (the cookie is SameSite=Strict as well): a page elsewhere cannot act in a supervisor's name.
import { EarshotError, type Permission } from '@earshot/protocol';
import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { ApiKeyStore } from '../auth/api-keys.ts';
import type { AuditInput, AuditLog } from '../auth/audit-log.ts';
import { assertCanSee, assertPermission, type Principal } from '../auth/principal.ts';
import { RateLimiter } from '../auth/rate-limiter.ts';
import type { UserStore } from '../auth/users.ts';
import type { AlsoWrite } from '../store/rows.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export const SESSION_COOKIE = 'earshot_session';

/** Same-origin (the Host the browser connected to) or explicitly allowed; non-browsers send none. */
export function originAllowed(request: FastifyRequest, allowed: readonly string[]): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes(origin) || allowed.includes('*')) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) {
    throw new EarshotError('unauthorized', 'Authorization must be "Bearer <api key>"', {
      fields: [{ field: '(authorization)', message: 'Expected "Bearer <api key>"' }],
    });
  }
  return match[1]!;
}

export interface AccessDependencies {
  keys: ApiKeyStore;
  users: UserStore;
  audit: AuditLog;
  limiter?: RateLimiter;
  allowedOrigins: readonly string[];
}

export interface GuardOptions {
  /** Allowed while the user still holds a one-time password (changing it, signing out). */
  duringPasswordChange?: boolean;
}

/**
 * Audit entries for refused credentials (a wrong, revoked or expired key or session), per
 * client address: 30 at once, then one every 2 s. Past that, refusals are still answered 401
 * but counted rather than written one by one, and the next entry from that address says how
 * many it stands for. A client looping over bad keys would otherwise grow the append-only log
 * by one row per request.
 */
const REFUSALS_AUDITED = { burst: 30, perSecond: 0.5 };
const UNRECORDED_ADDRESSES_KEPT = 10_000;

export class Access {
  private readonly refusalEntries: RateLimiter;
  /** Refusals not written, by address, since that address's last entry. */
  private readonly unrecorded = new Map<string, number>();

  constructor(private readonly deps: AccessDependencies) {
    this.refusalEntries = new RateLimiter(REFUSALS_AUDITED.perSecond, REFUSALS_AUDITED.burst);
  }

  /** The principal behind an API key (a realtime hello frame carries one). */
  verifyKey(token: string, options: { maxAgeMs?: number } = {}): Promise<Principal> {
    return this.deps.keys.verify(token, options);
  }

  /** The principal behind a request's credentials (key first, then cookie), or a 401. */
  async principalOf(
    request: FastifyRequest,
    options: { maxAgeMs?: number } = {},
  ): Promise<Principal> {
    const token = bearerToken(request);
    if (token !== undefined) return this.deps.keys.verify(token, options);
    const session = request.cookies[SESSION_COOKIE];
    if (session) {
      const principal = await this.deps.users.verify(session);
      if (!isSafe(request.method) && !originAllowed(request, this.deps.allowedOrigins)) {
        throw new EarshotError('forbidden', 'Cross-site request refused', {
          fields: [{ field: '(origin)', message: 'Not in the allowed origins' }],
        });
      }
      return principal;
    }
    throw new EarshotError('unauthorized', 'Sign in, or send "Authorization: Bearer <api key>"', {
      fields: [{ field: '(authorization)', message: 'No credentials' }],
    });
  }

  /**
   * A preHandler: authenticates, refuses a principal without `permission` (403), applies the
   * principal's rate limit (429) and records refusals in the audit log.
   */
  guard(permission: Permission | undefined, options: GuardOptions = {}): preHandlerHookHandler {
    return async (request) => {
      let principal: Principal | undefined;
      try {
        principal = await this.principalOf(request);
        if (principal.mustChangePassword && !options.duringPasswordChange) {
          throw new EarshotError('forbidden', 'Change your one-time password first', {
            fields: [{ field: '(session)', message: 'Password change required' }],
          });
        }
        if (permission) assertPermission(principal, permission);
      } catch (error) {
        await this.refused(request, error, principal, permission);
        throw error;
      }
      this.deps.limiter?.take(principal.id);
      request.principal = principal;
    };
  }

  /**
   * The call, if the request's principal may see it; otherwise 404, as if it did not exist,
   * with the refusal audited when the call does exist.
   */
  async visibleCall<T extends { callId: string; campaignId?: string | null }>(
    request: FastifyRequest,
    callId: string,
    call: T | undefined,
  ): Promise<T> {
    try {
      assertCanSee(request.principal!, call, callId);
      return call;
    } catch (error) {
      if (call) await this.refused(request, error, request.principal, 'campaign scope');
      throw error;
    }
  }

  /**
   * The audit entry of a change, for the store to write in the change's own transaction
   * (AlsoWrite): the change and its entry commit together, or neither does.
   */
  recordWith<T>(
    request: FastifyRequest,
    entry: (result: T) => Pick<AuditInput, 'event' | 'target' | 'detail'>,
  ): AlsoWrite<T> {
    return this.deps.audit.recordWith((result: T) => ({
      ...entry(result),
      actor: request.principal!,
      ip: request.ip,
    }));
  }

  /** Appends to the audit log; a failure to write is logged there and does not throw here. */
  async audit(input: AuditInput): Promise<void> {
    await this.deps.audit.record(input).catch(() => undefined);
  }

  /** Records a refused request (401, 403 or a foreign 404) in the audit log. */
  async refused(
    request: FastifyRequest,
    error: unknown,
    principal: Principal | undefined,
    needed: string | undefined,
    /** Credentials came some other way than the request's headers (a realtime hello frame). */
    presentedInFrame = false,
  ): Promise<void> {
    if (!(error instanceof EarshotError)) return;
    if (!['unauthorized', 'forbidden', 'not_found'].includes(error.kind)) return;
    // A request with no credentials at all is a signed-out console asking whether it is signed
    // in, or a scanner: not an attempt with anyone's identity, and not worth an entry each.
    const presented =
      presentedInFrame ||
      request.headers.authorization !== undefined ||
      request.cookies[SESSION_COOKIE] !== undefined;
    if (error.kind === 'unauthorized' && !presented) return;
    let unrecorded = 0;
    if (error.kind === 'unauthorized') {
      if (this.refusalEntries.wait(request.ip) > 0) {
        if (this.unrecorded.size >= UNRECORDED_ADDRESSES_KEPT) this.unrecorded.clear();
        this.unrecorded.set(request.ip, (this.unrecorded.get(request.ip) ?? 0) + 1);
        return;
      }
      this.refusalEntries.spend(request.ip);
      unrecorded = this.unrecorded.get(request.ip) ?? 0;
      this.unrecorded.delete(request.ip);
    }
    // The target is the route, so that refusals group by what was tried; the call, if the
    // route names one, goes in the detail, so that an admin can see which call was probed.
    const callId = (request.params as { callId?: unknown } | undefined)?.callId;
    // The refusal stands even if the log cannot be written.
    await this.audit({
      event: 'access_refused',
      ...(principal ? { actor: principal } : {}),
      target: `${request.method} ${request.routeOptions.url ?? request.url}`,
      detail: {
        status: error.status,
        ...(needed ? { needed } : {}),
        ...(typeof callId === 'string' ? { callId: callId.slice(0, 200) } : {}),
        ...(unrecorded > 0 ? { unrecorded } : {}),
      },
      ip: request.ip,
    });
  }
}

function isSafe(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

/** Sets the session cookie: HttpOnly (no script reads it), SameSite=Strict, expiring with the session. */
export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  expiresAt: number,
  now: number,
): void {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
    path: '/',
    maxAge: Math.max(0, Math.floor((expiresAt - now) / 1000)),
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict' });
}
