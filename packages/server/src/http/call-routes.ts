// The ingest API: start a call, post a batch of events, end a call, or stream events over
// one WebSocket per call. Each route parses its input once and calls one CallHost method.
import {
  endCallRequest,
  eventBatchRequest,
  parseOrThrow,
  startCallRequest,
} from '@earshot/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { z } from 'zod';
import type { RouteDependencies } from './app.ts';

const callParams = z.strictObject({ callId: z.string().min(1).max(200) });

export function callRoutes({
  calls,
  access,
  maxWriteBacklog = 50_000,
}: RouteDependencies): FastifyPluginAsync {
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
    // (TCP pushes back on the pipeline) until the backlog is down to half.
    app.get(
      '/calls/:callId/stream',
      { websocket: true, preHandler: ingest },
      (socket: WebSocket, request) => {
        const { callId } = parseOrThrow(callParams, request.params, 'path');
        let replies = Promise.resolve();
        let resumeTimer: NodeJS.Timeout | undefined;
        const resumeWhenCaughtUp = () => {
          resumeTimer = undefined;
          if (socket.readyState !== socket.OPEN) return;
          if (calls.writeBacklog <= maxWriteBacklog / 2) socket.resume();
          else resumeTimer = setTimeout(resumeWhenCaughtUp, 20);
        };
        socket.on('close', () => clearTimeout(resumeTimer));
        socket.on('message', (data: RawData) => {
          const reply = calls.ingestFrame(callId, data.toString());
          if (resumeTimer === undefined && calls.writeBacklog > maxWriteBacklog) {
            socket.pause();
            resumeTimer = setTimeout(resumeWhenCaughtUp, 20);
          }
          replies = replies.then(async () => {
            const answer = await reply;
            if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(answer));
          });
        });
      },
    );
  };
}
