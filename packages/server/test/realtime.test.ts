// The supervisors' realtime socket: snapshot then contiguous deltas under concurrent ingest,
// exact resume after a forced disconnect, resync when history is gone, a slow consumer closed
// while a fast one keeps up, malformed frames and bad credentials refused.
import {
  applyCallChanges,
  applyWallboardChanges,
  RealtimeClient,
  type SocketLike,
} from '@earshot/client';
import {
  CLOSE_CODES,
  type CallChange,
  type CallSnapshot,
  type IngestEvent,
  type WallboardChange,
  type WallboardEntry,
} from '@earshot/protocol';
import { snapshotForScreens } from '@earshot/engine';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.ts';
import { createEarshot, type Earshot, type Overrides } from '../src/server.ts';
import { byId } from './support/call-rows.ts';
import { createPostgresDatabase, postgresAvailable } from './support/databases.ts';
import { scriptedEvents, startRequest } from './support/scripted-call.ts';

interface Running {
  earshot: Earshot;
  url: string;
  ingestKey: string;
  monitorKey: string;
}

const running: Running[] = [];
const clients: RealtimeClient[] = [];
const databases: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const r of running.splice(0)) await r.earshot.close();
  for (const drop of databases.splice(0)) await drop();
});

/** Where the calls run: on the main thread, or on the engine thread (PostgreSQL only). */
type Host = 'main thread' | 'engine thread';

async function start(
  flags: Record<string, string> = {},
  overrides: Overrides = {},
  host: Host = 'main thread',
): Promise<Running> {
  if (host === 'engine thread') {
    const database = await createPostgresDatabase();
    databases.push(database.drop);
    flags = { 'database-url': database.url, 'engine-thread': 'true', ...flags };
  }
  const config = loadConfig({ 'data-dir': 'memory://', port: '0', ...flags }, {});
  const earshot = await createEarshot(config, pino({ level: 'silent' }), overrides);
  const url = `${(await earshot.listen()).replace('http', 'ws')}/api/v1/realtime`;
  const r = {
    earshot,
    url,
    ingestKey: (await earshot.keys.create({ name: 'pipeline', scopes: ['ingest'] })).key,
    monitorKey: (await earshot.keys.create({ name: 'console', scopes: ['monitor'] })).key,
  };
  running.push(r);
  return r;
}

const wsFactory = (url: string) => new WebSocket(url) as unknown as SocketLike;

/** A client following one call, keeping a replica and a record of every frame's versions. */
function follow(
  r: Running,
  callId: string,
  options: { minBackoffMs?: number; reconnects?: Array<() => void> } = {},
) {
  const record = {
    snapshots: 0,
    resyncs: 0,
    snapshotVersion: 0,
    versions: [] as Array<[number, number]>,
    replica: undefined as CallSnapshot | undefined,
  };
  const client = new RealtimeClient({
    url: r.url,
    token: r.monitorKey,
    socket: wsFactory,
    minBackoffMs: options.minBackoffMs ?? 50,
    maxBackoffMs: 200,
    // Given a list, reconnects wait in it until the test runs them.
    ...(options.reconnects
      ? { setTimeout: (callback: () => void) => options.reconnects!.push(callback) }
      : {}),
  });
  clients.push(client);
  const subscription = client.subscribe<CallSnapshot, CallChange>(
    { kind: 'call', callId },
    {
      onSnapshot(data, version) {
        record.snapshots++;
        record.snapshotVersion = version;
        record.replica = data;
      },
      onDelta(changes, version, fromVersion) {
        record.versions.push([fromVersion, version]);
        record.replica = applyCallChanges(record.replica!, changes);
      },
      onResync() {
        record.resyncs++;
      },
    },
  );
  return { client, record, subscription };
}

/** Every frame starts right after the previous one ended. */
function expectContiguous(versions: Array<[number, number]>, after: number): void {
  let last = after;
  for (const [from, to] of versions) {
    expect(from).toBe(last + 1);
    expect(to).toBeGreaterThanOrEqual(from);
    last = to;
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The replica equals the server's state of the call, as screens get it (the phone masked). */
function inSync(r: Running, callId: string, replica: CallSnapshot | undefined): boolean {
  const server = r.earshot.calls.snapshot(callId);
  return JSON.stringify(replica) === JSON.stringify(server && snapshotForScreens(server));
}

async function ingestAll(
  r: Running,
  callId: string,
  events: IngestEvent[],
  batch = 5,
): Promise<void> {
  for (let i = 0; i < events.length; i += batch)
    await r.earshot.calls.ingest(callId, events.slice(i, i + batch));
}

describe.each<Host>(['main thread', 'engine thread'])(
  'realtime subscriptions, calls on the %s',
  (host) => {
    const skip = host === 'engine thread' && !postgresAvailable;
    beforeEach((context) => {
      if (skip) context.skip();
    });

    it('sends a snapshot then contiguous deltas with no gap or duplicate while events pour in', async () => {
      const r = await start({}, {}, host);
      await r.earshot.calls.start(startRequest('live-1'));
      const startVersion = r.earshot.hub.callLog('live-1').version;
      const events = scriptedEvents(400);
      const ingest = ingestAll(r, 'live-1', events, 4);
      await new Promise((resolve) => setTimeout(resolve, 30)); // subscribe mid-stream
      const { record, client, subscription } = follow(r, 'live-1');
      await ingest;
      await until(() => inSync(r, 'live-1', record.replica), 'the replica to catch up');
      expect(record.snapshots).toBe(1);
      expect(record.resyncs).toBe(0);
      // The snapshot came mid-stream, and every frame starts right after the previous one ended.
      expect(record.snapshotVersion).toBeGreaterThan(startVersion);
      expect(record.versions.length).toBeGreaterThan(0); // and the stream went on after it
      expectContiguous(record.versions, record.snapshotVersion);
      expect(client.versionOf(subscription.id)).toBe(r.earshot.hub.callLog('live-1').version);
      // And what subscribers see is what was committed (on the engine thread, this checks the
      // main thread's replica against the thread's writes).
      await r.earshot.calls.flush();
      const stored = await r.earshot.store.calls.read(record.replica!.liveCall._id);
      expect(byId(snapshotForScreens(stored!))).toEqual(byId(record.replica!));
      // The store keeps the number the pipeline sent; screens get its last four digits.
      expect(stored!.liveCall.customerPhone).toBe('+44 7700 900123');
      expect(record.replica!.liveCall.customerPhone).toBe('+•• •••• ••0123');
    });

    it('resumes after a forced disconnect with exactly the missed deltas', async () => {
      const r = await start({}, {}, host);
      await r.earshot.calls.start(startRequest('resume-1'));
      const events = scriptedEvents(300);
      await ingestAll(r, 'resume-1', events.slice(0, 100));
      const { record, client, subscription } = follow(r, 'resume-1', { minBackoffMs: 300 });
      await until(() => inSync(r, 'resume-1', record.replica), 'the first snapshot');
      const before = client.versionOf(subscription.id)!;
      const framesBefore = record.versions.length;

      for (const socket of r.earshot.app.websocketServer.clients) socket.terminate(); // the network drops
      await until(() => client.state === 'reconnecting', 'the client to notice');
      await ingestAll(r, 'resume-1', events.slice(100, 200)); // missed while away
      await until(() => client.state === 'live', 'the reconnect');
      await ingestAll(r, 'resume-1', events.slice(200));
      await until(() => inSync(r, 'resume-1', record.replica), 'the replica to catch up');

      expect(record.snapshots).toBe(1); // resumed, not resynced
      expect(record.resyncs).toBe(0);
      const after = record.versions.slice(framesBefore);
      expectContiguous(after, before);
      // The missed ones came one frame per version: exactly the versions that happened.
      const log = r.earshot.hub.callLog('resume-1');
      expect(after.at(-1)![1]).toBe(log.version);
    });

    it('resyncs with a fresh snapshot when the missed changes are no longer held', async () => {
      const r = await start({ 'realtime-history': '5' }, {}, host);
      await r.earshot.calls.start(startRequest('resync-1'));
      const events = scriptedEvents(200);
      await ingestAll(r, 'resync-1', events.slice(0, 20));
      const reconnects: Array<() => void> = [];
      const { record, client } = follow(r, 'resync-1', { reconnects });
      await until(() => inSync(r, 'resync-1', record.replica), 'the first snapshot');
      client.dropConnection();
      await until(() => client.state === 'reconnecting', 'the drop');
      await ingestAll(r, 'resync-1', events.slice(20, 120)); // far more than 5 changes
      for (const reconnect of reconnects.splice(0)) reconnect(); // only now
      await until(() => record.snapshots === 2, 'a second snapshot');
      await ingestAll(r, 'resync-1', events.slice(120));
      await until(() => inSync(r, 'resync-1', record.replica), 'the replica to catch up');
      expect(record.resyncs).toBe(1);
    });
  },
);

describe('realtime subscriptions', () => {
  it('closes a slow consumer with 4408 while a fast one gets every change promptly', async () => {
    const r = await start(
      {},
      {
        realtime: {
          session: { maxPendingChanges: 50, highWaterBytes: 16 * 1024, maxBlockedMs: 2_000 },
          // The slow reader has megabytes to read before the close frame: on a loaded test
          // machine that took over the default 5 s, and the socket was cut (1006).
          closeGraceMs: 60_000,
        },
      },
    );
    await r.earshot.calls.start(startRequest('pressure-1'));

    // The slow consumer subscribes, then stops reading from its socket.
    const slow = new WebSocket(r.url);
    const slowClosed = new Promise<number>((resolve) => slow.on('close', (code) => resolve(code)));
    await new Promise((resolve) => slow.once('open', resolve));
    slow.send(JSON.stringify({ type: 'hello', token: r.monitorKey }));
    slow.send(
      JSON.stringify({
        type: 'subscribe',
        id: 'slow',
        topic: { kind: 'call', callId: 'pressure-1' },
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const slowSocket = (slow as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    slowSocket.pause();

    const latencies: number[] = [];
    const { record } = follow(r, 'pressure-1');
    await until(() => record.snapshots === 1, 'the fast snapshot');
    const seen = new Set<string>();

    // ~12 MB of final transcript lines: far more than the socket buffers of a reader that stopped.
    const padding = 'x'.repeat(3_900);
    let seq = 0;
    const measure = () => {
      for (const line of record.replica!.liveTranscripts) {
        if (seen.has(line.segmentId!)) continue;
        seen.add(line.segmentId!);
        latencies.push(Date.now() - parseInt(line.text.split(' ')[0]!, 36));
      }
    };
    let slowResumed = false;
    for (let batch = 0; batch < 300; batch++) {
      const events = Array.from({ length: 10 }, () => {
        seq++;
        return {
          type: 'transcript' as const,
          seq,
          segmentId: `s${seq}`,
          speaker: 'agent' as const,
          // The send time in base 36: a 13-digit number could pass as a card and be redacted.
          text: `${Date.now().toString(36)} ${padding}`,
          isFinal: true,
          timestamp: '0:01',
        };
      });
      await r.earshot.calls.ingest('pressure-1', events);
      measure();
      if (r.earshot.hub.sessionCount === 1 && !slowResumed) {
        // Closed by the server: let it read its close frame now, with nothing else running
        // (draining megabytes between 150 ms batches could outlast the close grace).
        slowResumed = true;
        slowSocket.resume();
        expect(await slowClosed).toBe(CLOSE_CODES.slowConsumer);
      }
    }
    expect(slowResumed).toBe(true);
    expect(await slowClosed).toBe(CLOSE_CODES.slowConsumer);
    await until(() => inSync(r, 'pressure-1', record.replica), 'the fast replica');
    measure();
    expect(record.replica!.liveTranscripts).toHaveLength(3000); // every final, none dropped
    latencies.sort((a, b) => a - b);
    expect(latencies[Math.floor(latencies.length * 0.99)]!).toBeLessThan(1_000);
  }, 120_000); // ~45 s alone: 3,000 finals of 4 KB each go through sentiment analysis

  it('publishes a change to subscribers before its database write commits', async () => {
    const r = await start({ 'flush-interval-ms': '400' });
    await r.earshot.calls.start(startRequest('early-1'));
    const { record } = follow(r, 'early-1');
    await until(() => record.snapshots === 1, 'the snapshot');
    let committed = false;
    const ingest = r.earshot.calls
      .ingest('early-1', [
        { type: 'audio', seq: 1, agentGain: 77, customerGain: 5, currentSpeaker: 'agent' },
      ])
      .then(() => (committed = true));
    await until(() => record.replica?.liveCall.agentGain === 77, 'the delta');
    expect(committed).toBe(false);
    await ingest;
  });

  it('keeps a filtered wallboard: masked phones, rows entering and leaving the filter', async () => {
    const r = await start();
    await r.earshot.calls.start(startRequest('board-1'));
    await r.earshot.calls.start(startRequest('board-2', { status: 'ringing' }));
    const rows = new Map<string, WallboardEntry>();
    const client = new RealtimeClient({ url: r.url, token: r.monitorKey, socket: wsFactory });
    clients.push(client);
    client.subscribe<{ calls: WallboardEntry[] }, WallboardChange>(
      { kind: 'wallboard', filter: { status: ['connecting', 'connected'] } },
      {
        onSnapshot(data) {
          rows.clear();
          for (const entry of data.calls) rows.set(entry.callId, entry);
        },
        onDelta: (changes) => applyWallboardChanges(rows, changes),
      },
    );
    await until(() => rows.has('board-1'), 'the snapshot');
    expect([...rows.keys()]).toEqual(['board-1']); // board-2 is ringing: filtered out
    expect(rows.get('board-1')!.customerPhone).toBe('+•• •••• ••0123');
    await r.earshot.calls.ingest('board-1', [{ type: 'status', seq: 1, status: 'ringing' }]);
    await until(() => !rows.has('board-1'), 'board-1 to leave');
    await r.earshot.calls.ingest('board-2', [{ type: 'status', seq: 1, status: 'connected' }]);
    await until(() => rows.get('board-2')?.status === 'connected', 'board-2 to enter');
  });

  it('closes the socket with 4400 on a malformed frame', async () => {
    const r = await start();
    for (const frame of [
      '{not json',
      JSON.stringify({ type: 'subscribe', id: 'x', topic: { kind: 'moon' } }),
    ]) {
      const socket = new WebSocket(r.url, { headers: { authorization: `Bearer ${r.monitorKey}` } });
      const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(frame);
      expect(await closed).toBe(CLOSE_CODES.malformedFrame);
    }
  });

  it('refuses bad credentials (4401), a key without the monitor scope, and a foreign Origin (403)', async () => {
    const r = await start();
    const closeCode = async (token: string) => {
      const socket = new WebSocket(r.url);
      const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'hello', token }));
      return closed;
    };
    expect(await closeCode('esk_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb')).toBe(
      CLOSE_CODES.unauthenticated,
    );
    expect(await closeCode(r.ingestKey)).toBe(CLOSE_CODES.unauthenticated);
    // Subscribing before authenticating is refused too.
    const early = new WebSocket(r.url);
    const earlyClosed = new Promise<number>((resolve) =>
      early.on('close', (code) => resolve(code)),
    );
    await new Promise((resolve) => early.once('open', resolve));
    early.send(JSON.stringify({ type: 'subscribe', id: 'a', topic: { kind: 'wallboard' } }));
    expect(await earlyClosed).toBe(CLOSE_CODES.unauthenticated);

    const foreign = new WebSocket(r.url, { headers: { origin: 'https://evil.example' } });
    const status = await new Promise<number>((resolve) =>
      foreign.once('unexpected-response', (_req, response) => resolve(response.statusCode ?? 0)),
    );
    expect(status).toBe(403);
  });
});
