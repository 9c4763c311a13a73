// The ingest API: start a call, post a batch of events, end a call, or stream events over
// one WebSocket per call. Each route parses its input once and calls one CallHost method.
import {
  CLOSE_CODES,
  endCallRequest,
  eventBatchRequest,
  parseOrThrow,
  startCallRequest,
} from '@earshot/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { z } from 'zod';
import { CredentialWatch, recheckMaxAgeMs } from '../auth/credential-watch.ts';
import { assertPermission } from '../auth/principal.ts';
import { realTimers } from '../jobs/service.ts';
import type { RouteDependencies } from './app.ts';

const callParams = z.strictObject({ callId: z.string().min(1).max(200) });

export function callRoutes({
  calls,
  access,
  revocations,
  clock,
  realtime,
  maxWriteBacklog = 50_000,
}: RouteDependencies): FastifyPluginAsync {
  /** How often an open stream's key is checked again: the realtime heartbeat's interval. */
  const recheckEveryMs = realtime?.heartbeatMs ?? 15_000;
  const maxAgeMs = recheckMaxAgeMs(recheckEveryMs);
  return async (app) => {
    const ingest = access.guard('ingest');

    app.post('/calls', { preHandler: ingest }, async (request, reply) => {
      const body = parseOrThrow(startCallRequest, request.body, 'request body');
      const { call, created } = await calls.start(body);
      return reply.code(created ? 201 : 200).send({ call });
    });

    app.post('/calls/:callId/events', { preHandler: ingest }, async (request) => {
      const { callId } = parseOrThrow(callParams, request.params, 'path');
      const { events } = parseOrThrow(eventBatchRequest, request.body, 'request body');
      return calls.ingest(callId, events);
    });

    app.post('/calls/:callId/end', { preHandler: ingest }, async (request) => {
      const { callId } = parseOrThrow(callParams, request.params, 'path');
      const { reason } = parseOrThrow(endCallRequest, request.body, 'request body');
      return { call: await calls.end(callId, reason) };
    });

    // Streaming ingest: each text frame is a batch ({"events":[...]}), answered in order by
    // {"type":"ack",...} once committed or {"type":"error","problem":{...}}. A refused frame
    // does not close the socket; the pipeline resends it like a refused HTTP request.
    // A frame is applied (and reaches subscribers) as soon as it arrives; only its ack waits
    // for the commit, so a call's events do not queue behind each other's database writes.
    // While more than maxWriteBacklog rows wait for the database, the socket is not read
    // (TCP pushes back on the pipeline) until the backlog is down to half. Frames that were
    // already read with the one that crossed the limit (one read can hold hundreds of small
    // frames from a pipeline that got ahead) are held, unapplied, and applied in order on
    // resume: so the backlog overshoots by at most one read per socket, not by everything
    // the sockets had buffered.
    // A stream lives only as long as its key: revoked (here or on another process) or expired,
    // it is closed with 4401, and frames read after that are neither applied nor acknowledged.
    app.get(
      '/calls/:callId/stream',
      {
        websocket: true,
        // The path is checked before the upgrade, so a bad one gets a 400 problem, not a socket.
        preHandler: [
          ingest,
          async (request) => void parseOrThrow(callParams, request.params, 'path'),
        ],
      },
      (socket: WebSocket, request) => {
        const { callId } = request.params as { callId: string }; // checked before the upgrade
        let replies = Promise.resolve();
        let resumeTimer: NodeJS.Timeout | undefined;
        const held: RawData[] = [];
        const watch = new CredentialWatch({
          principal: request.principal!,
          revocations,
          timers: realTimers,
          clock,
          onRefused: (reason) => socket.close(CLOSE_CODES.unauthenticated, reason),
          onCheckFailed: (error) =>
            request.log.warn({ err: error }, 'credential re-check failed; retried later'),
        });
        const recheckTimer = setInterval(
          () =>
            watch.recheck(() =>
              access
                .principalOf(request, { maxAgeMs })
                .then((principal) => assertPermission(principal, 'ingest')),
            ),
          recheckEveryMs,
        );
        const apply = (data: RawData) => {
          if (socket.readyState !== socket.OPEN) return; // closing: unacknowledged, resent later
          const reply = calls.ingestFrame(callId, data.toString());
          replies = replies.then(async () => {
            const answer = await reply;
            if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(answer));
          });
          if (calls.writeBacklog > maxWriteBacklog) {
            socket.pause();
            resumeTimer = setTimeout(resumeWhenCaughtUp, 20);
          }
        };
        const resumeWhenCaughtUp = () => {
          resumeTimer = undefined;
          if (socket.readyState !== socket.OPEN) return;
          if (calls.writeBacklog > maxWriteBacklog / 2) {
            resumeTimer = setTimeout(resumeWhenCaughtUp, 20);
            return;
          }
          while (held.length > 0 && resumeTimer === undefined) apply(held.shift()!);
          if (resumeTimer === undefined) socket.resume();
        };
        socket.on('close', () => {
          clearTimeout(resumeTimer);
          clearInterval(recheckTimer);
          watch.stop();
          held.length = 0; // unacknowledged: the pipeline resends them
        });
        socket.on('message', (data: RawData) => {
          if (resumeTimer !== undefined) held.push(data);
          else apply(data);
        });
      },
    );
  };
}
