// The floor for bench/realtime-latency: a bare `ws` relay that speaks just enough of Earshot's
// two socket protocols for the same load generator to drive it, and does nothing else. No
// storage, no analysis, no validation: an ingest frame is acknowledged at once and forwarded,
// as received, to every socket subscribed to that call. Frames that would change a wallboard
// row in Earshot (a final transcript, a status, phase or recording change: found by a substring
// test, not by parsing) also go to every wallboard subscriber, packed into one message per
// subscriber per event-loop turn (`[frame,frame,...]`), as Earshot's sessions coalesce what
// queued up in one turn into one frame. With `workMicros` it first spends that much CPU on
// each ingest frame: a calibration of how latency grows with a server's CPU on this machine.
//   GET /api/v1/calls/:callId/stream   each text frame → {"type":"ack",...} + forwarded
//   GET /api/v1/realtime               hello → ready; subscribe → an empty snapshot
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

const STREAM_PATH = /^\/api\/v1\/calls\/([^/]+)\/stream$/;
/** What makes Earshot push a wallboard row: a final, or a status, phase or recording change. */
const WALLBOARD_MARKERS = [
  '"isFinal":true',
  '"type":"status"',
  '"type":"phase"',
  '"type":"recording"',
];
/** The relay cannot know how many events a frame held without parsing it; the load generator counts. */
const ACK = JSON.stringify({ type: 'ack', accepted: -1, duplicates: 0, lastSeq: -1 });

export interface Relay {
  /** http://host:port */
  base: string;
  /** Ingest frames received and frames forwarded to subscribers since start. */
  stats(): { framesIn: number; framesOut: number; sockets: number };
  close(): Promise<void>;
}

export interface RelayOptions {
  host?: string;
  /**
   * CPU time to spend on each ingest frame before forwarding it (a busy wait), standing in
   * for a server's own work per event: the relay then shows what latency this machine gives
   * a server that uses that much CPU but spends it evenly, with no pauses and no bursts.
   */
  workMicros?: number;
}

export async function startRelay({
  host = '127.0.0.1',
  workMicros = 0,
}: RelayOptions = {}): Promise<Relay> {
  const server = createServer((_request, response) => {
    response.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const callSubscribers = new Map<string, Set<WebSocket>>();
  const wallboards = new Set<WebSocket>();
  let framesIn = 0;
  let framesOut = 0;
  let wallboardQueue: string[] = [];
  const flushWallboards = () => {
    const message = `[${wallboardQueue.join(',')}]`;
    wallboardQueue = [];
    for (const subscriber of wallboards) {
      subscriber.send(message);
      framesOut++;
    }
  };

  function ingest(socket: WebSocket, callId: string): void {
    socket.on('message', (data: RawData) => {
      framesIn++;
      if (workMicros > 0) {
        const until = performance.now() + workMicros / 1000;
        while (performance.now() < until); // stands in for work: see RelayOptions
      }
      const frame = data as Buffer;
      const subscribers = callSubscribers.get(callId);
      if (subscribers)
        for (const subscriber of subscribers) {
          subscriber.send(frame, { binary: false });
          framesOut++;
        }
      if (wallboards.size > 0) {
        const text = frame.toString('latin1');
        if (WALLBOARD_MARKERS.some((marker) => text.includes(marker))) {
          if (wallboardQueue.length === 0) setImmediate(flushWallboards);
          wallboardQueue.push(frame.toString());
        }
      }
      socket.send(ACK);
    });
  }

  function realtime(socket: WebSocket): void {
    const mine: Array<Set<WebSocket>> = [];
    socket.on('message', (data: RawData) => {
      const message = JSON.parse(String(data)) as {
        type: string;
        id?: string;
        topic?: { kind: string; callId?: string };
      };
      if (message.type === 'hello') socket.send(JSON.stringify({ type: 'ready', heartbeatMs: 0 }));
      if (message.type === 'subscribe' && message.topic) {
        let set = wallboards;
        if (message.topic.kind === 'call') {
          const callId = message.topic.callId ?? '';
          set = callSubscribers.get(callId) ?? new Set();
          callSubscribers.set(callId, set);
        }
        set.add(socket);
        mine.push(set);
        socket.send(JSON.stringify({ type: 'snapshot', id: message.id, version: 0, data: null }));
      }
    });
    socket.on('close', () => {
      for (const set of mine) set.delete(socket);
    });
  }

  server.on('upgrade', (request: IncomingMessage, socket, head) => {
    const path = new URL(request.url ?? '/', 'http://relay').pathname;
    const call = STREAM_PATH.exec(path);
    if (!call && path !== '/api/v1/realtime') return socket.destroy();
    wss.handleUpgrade(request, socket, head, (ws) => {
      if (call) ingest(ws, decodeURIComponent(call[1]!));
      else realtime(ws);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://${host}:${port}`,
    stats: () => ({ framesIn, framesOut, sockets: wss.clients.size }),
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
