// GET /api/v1/realtime: the supervisors' WebSocket. The transport only moves frames: it
// checks the Origin, authenticates (Authorization header on the upgrade, or a `hello` frame
// first), parses every frame once against the client message union, and hands messages to
// the connection's Session. A malformed frame closes the socket with 4400.
import { clientMessage, CLOSE_CODES, EarshotError, type ClientMessage } from '@earshot/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { assertPermission, type Principal } from '../auth/principal.ts';
import type { Revocations } from '../auth/revocations.ts';
import { bearerToken, originAllowed, SESSION_COOKIE, type Access } from '../http/authenticate.ts';
import type { Timers } from '../jobs/service.ts';
import { realTimers } from '../jobs/service.ts';
import type { Hub } from './hub.ts';
import { Session, type SessionOptions } from './session.ts';

const MAX_TIMER_MS = 2 ** 31 - 1;

/** Supervisor sockets opened, and closed by close code (either side's), since start: for /metrics. */
export interface RealtimeCounts {
  opened: number;
  closed: Map<number, number>;
}

export function newRealtimeCounts(): RealtimeCounts {
  return { opened: 0, closed: new Map() };
}

export interface RealtimeOptions {
  hub: Hub;
  access: Access;
  revocations: Revocations;
  /** Browser origins allowed besides the server's own (same host). */
  allowedOrigins: readonly string[];
  heartbeatMs?: number;
  /** How long a connection may stay unauthenticated. */
  helloTimeoutMs?: number;
  session?: SessionOptions;
  timers?: Timers;
  /** Milliseconds since the epoch (credential expiry is measured against it). */
  clock?: () => number;
  counts?: RealtimeCounts;
}

export function realtimeRoutes(options: RealtimeOptions): FastifyPluginAsync {
  const timers = options.timers ?? realTimers;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  /**
   * How old a key's row may be at a heartbeat's re-check. The sockets opened with one key
   * share the reads made within it, so a thousand sockets on one key cost about one query a
   * second, not a thousand per heartbeat.
   */
  const recheckMaxAgeMs = Math.min(1_000, heartbeatMs);
  const counts = options.counts ?? newRealtimeCounts();

  /** Who may watch: signed in (not on a one-time password) with the calls:watch permission. */
  function mayWatch(principal: Principal): Principal {
    if (principal.mustChangePassword)
      throw new EarshotError('forbidden', 'Change your one-time password first');
    assertPermission(principal, 'calls:watch');
    return principal;
  }

  return async (app) => {
    app.get(
      '/realtime',
      {
        websocket: true,
        preValidation: async (request) => {
          if (!originAllowed(request, options.allowedOrigins)) {
            throw new EarshotError(
              'forbidden',
              `Origin ${request.headers.origin ?? ''} is not allowed`,
              {
                fields: [{ field: '(origin)', message: 'Not in the allowed origins' }],
              },
            );
          }
          // A key in the Authorization header, or the console's session cookie, opens the
          // connection at once; otherwise the first frame must be a hello with a key.
          if (bearerToken(request) !== undefined || request.cookies[SESSION_COOKIE]) {
            let principal: Principal | undefined;
            try {
              principal = await options.access.principalOf(request);
              request.principal = mayWatch(principal);
            } catch (error) {
              await options.access.refused(request, error, principal, 'calls:watch');
              throw error;
            }
          }
        },
      },
      (socket: WebSocket, request) => {
        counts.opened += 1;
        let session: Session | undefined;
        const sink = {
          send: (text: string) => socket.send(text),
          bufferedAmount: () => socket.bufferedAmount,
          close: (code: number, reason: string) => {
            socket.close(code, reason);
            // A peer that is not reading never answers the close handshake: cut it loose.
            timers.setTimeout(() => socket.terminate(), 5_000);
          },
        };
        // The credentials a connection was opened with stay valid only until they expire or
        // are revoked: then the socket is closed, as an HTTP request would be refused.
        // Re-checked on each heartbeat against a read of the key at most a second old (not the
        // 30 s key cache), so a revocation made elsewhere (the CLI, another server) closes the
        // socket within a heartbeat and a second.
        let reverify = request.principal
          ? () => options.access.principalOf(request, { maxAgeMs: recheckMaxAgeMs }).then(mayWatch)
          : undefined;
        let expiryTimer: unknown;
        let stopWatchingRevocations: (() => void) | undefined;
        const expire = (reason: string) => socket.close(CLOSE_CODES.unauthenticated, reason);
        const open = () => {
          const principal = request.principal!;
          session = new Session(
            options.hub,
            sink,
            options.session,
            { id: principal.id, name: principal.name },
            principal.campaigns,
            (callId) =>
              void options.access.audit({
                event: 'access_refused',
                actor: principal,
                target: `subscribe call ${callId}`,
                detail: { status: 404, needed: 'campaign scope' },
                ip: request.ip,
              }),
          );
          stopWatchingRevocations = options.revocations.onRevoke((id) => {
            if (id === principal.credentialId) expire('credentials revoked');
          });
          socket.send(JSON.stringify({ type: 'ready', heartbeatMs }));
          const expiresAt = request.principal?.expiresAt;
          // A timer cannot wait more than 2^31 - 1 ms (about 24.8 days): longer, it re-arms.
          const armExpiry = () => {
            if (expiresAt === undefined) return;
            const left = Math.max(0, expiresAt - (options.clock ?? Date.now)());
            expiryTimer =
              left > MAX_TIMER_MS
                ? timers.setTimeout(armExpiry, MAX_TIMER_MS)
                : timers.setTimeout(() => expire('credentials expired'), left);
          };
          armExpiry();
        };
        if (request.principal) open();

        const helloTimer = request.principal
          ? undefined
          : timers.setTimeout(() => {
              if (!session)
                socket.close(CLOSE_CODES.unauthenticated, 'authenticate with a hello frame first');
            }, options.helloTimeoutMs ?? 5_000);

        // Heartbeat: an app-level frame for the UI, and a ping whose missing pong ends a dead link.
        let alive = true;
        socket.on('pong', () => (alive = true));
        const beat = () => {
          if (!alive) return socket.terminate();
          alive = false;
          socket.ping();
          if (session) socket.send(JSON.stringify({ type: 'heartbeat', at: Date.now() }));
          // Revocation in another process reaches open sockets here (keys are cached for 30 s).
          // Only a refusal closes the socket: a database that cannot answer now (503) is asked
          // again at the next beat, rather than disconnecting every supervisor at once.
          if (session && reverify)
            reverify().catch((error: unknown) => {
              if (isRefusal(error)) return expire('credentials revoked or expired');
              request.log.warn({ err: error }, 'credential re-check failed; retried next beat');
            });
        };
        // The first beat comes after a random half to whole interval: sockets opened together
        // (a console reconnecting after a restart) would otherwise beat, and re-check, together.
        let beatTimer: ReturnType<typeof setInterval> = setTimeout(
          () => {
            beat();
            beatTimer = setInterval(beat, heartbeatMs);
          },
          heartbeatMs * (0.5 + Math.random() * 0.5),
        );

        let chain = Promise.resolve();
        socket.on('message', (data: RawData) => {
          let message: ClientMessage;
          try {
            message = clientMessage.parse(JSON.parse(data.toString()));
          } catch {
            return socket.close(CLOSE_CODES.malformedFrame, 'malformed frame');
          }
          chain = chain.then(async () => {
            if (session) return session.handle(message);
            if (message.type !== 'hello')
              return socket.close(CLOSE_CODES.unauthenticated, 'authenticate first');
            try {
              const token = message.token;
              request.principal = mayWatch(await options.access.verifyKey(token));
              reverify = () =>
                options.access.verifyKey(token, { maxAgeMs: recheckMaxAgeMs }).then(mayWatch);
              open();
            } catch (error) {
              await options.access.refused(request, error, undefined, 'calls:watch');
              socket.close(CLOSE_CODES.unauthenticated, 'invalid credentials');
            }
          });
        });

        socket.on('close', (code: number) => {
          counts.closed.set(code, (counts.closed.get(code) ?? 0) + 1);
          clearTimeout(beatTimer); // the first beat's timeout or the interval after it
          if (helloTimer !== undefined) timers.clearTimeout(helloTimer);
          if (expiryTimer !== undefined) timers.clearTimeout(expiryTimer);
          stopWatchingRevocations?.();
          session?.detach();
        });
      },
    );
  };
}

/** Whether an error is a verdict on the credentials, rather than a failure to check them. */
function isRefusal(error: unknown): boolean {
  return (
    error instanceof EarshotError && (error.kind === 'unauthorized' || error.kind === 'forbidden')
  );
}
