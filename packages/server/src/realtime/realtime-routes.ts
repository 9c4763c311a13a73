// GET /api/v1/realtime: the supervisors' WebSocket. The transport only moves frames: it
// checks the Origin, authenticates (Authorization header on the upgrade, or a `hello` frame
// first), parses every frame once against the client message union, and hands messages to
// the connection's Session. A malformed frame closes the socket with 4400.
import { clientMessage, CLOSE_CODES, EarshotError, type ClientMessage } from '@earshot/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { CredentialWatch, recheckMaxAgeMs } from '../auth/credential-watch.ts';
import { assertPermission, type Principal } from '../auth/principal.ts';
import type { Revocations } from '../auth/revocations.ts';
import { bearerToken, originAllowed, SESSION_COOKIE, type Access } from '../http/authenticate.ts';
import type { Timers } from '../jobs/service.ts';
import { realTimers } from '../jobs/service.ts';
import type { Hub } from './hub.ts';
import { Session, type SessionOptions } from './session.ts';

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
  /**
   * How long a connection the server closed has to answer the close handshake before it is cut
   * (5 s). A peer that stopped reading must first read everything queued before the close frame.
   */
  closeGraceMs?: number;
  session?: SessionOptions;
  timers?: Timers;
  /** Milliseconds since the epoch (credential expiry is measured against it). */
  clock?: () => number;
  counts?: RealtimeCounts;
}

export function realtimeRoutes(options: RealtimeOptions): FastifyPluginAsync {
  const timers = options.timers ?? realTimers;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const closeGraceMs = options.closeGraceMs ?? 5_000;
  /** How old a key's row may be at a heartbeat's re-check. */
  const maxAgeMs = recheckMaxAgeMs(heartbeatMs);
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
            timers.setTimeout(() => socket.terminate(), closeGraceMs);
          },
        };
        // The credentials a connection was opened with stay valid only until they expire or
        // are revoked: then the socket is closed, as an HTTP request would be refused
        // (credential-watch.ts). Re-checked on each heartbeat against a read of the key at most
        // a second old (not the 30 s key cache), for a revocation no announcement reached.
        let reverify = request.principal
          ? () => options.access.principalOf(request, { maxAgeMs }).then(mayWatch)
          : undefined;
        let watch: CredentialWatch | undefined;
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
          watch = new CredentialWatch({
            principal,
            revocations: options.revocations,
            timers,
            clock: options.clock ?? Date.now,
            onRefused: (reason) => socket.close(CLOSE_CODES.unauthenticated, reason),
            onCheckFailed: (error) =>
              request.log.warn({ err: error }, 'credential re-check failed; retried next beat'),
          });
          socket.send(JSON.stringify({ type: 'ready', heartbeatMs }));
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
          // A revocation no announcement reached (the channel between processes was down)
          // reaches open sockets here.
          if (reverify) watch?.recheck(reverify);
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
              reverify = () => options.access.verifyKey(token, { maxAgeMs }).then(mayWatch);
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
          watch?.stop();
          session?.detach();
        });
      },
    );
  };
}
