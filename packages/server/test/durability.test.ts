// An acknowledged event is never lost: not on kill -9 (real entry point, both databases), not
// while PostgreSQL is unreachable (503s, no 2xx for anything uncommitted, recovery on return).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IngestEvent } from '@earshot/protocol';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.ts';
import { createEarshot } from '../src/server.ts';
import { openStore, type Store } from '../src/store/index.ts';
import { callEvents, liveCalls, outbox, supervisorActions } from '../src/store/schema.ts';
import {
  createPostgresDatabase,
  DATABASE_KINDS,
  postgresAvailable,
  TEST_POSTGRES_URL,
} from './support/databases.ts';
import { scriptedEvents, startRequest } from './support/scripted-call.ts';
import { runCli, startServerProcess } from './support/server-process.ts';
import { startTcpProxy } from './support/tcp-proxy.ts';

const CALLS = ['durable-1', 'durable-2', 'durable-3'];
const BATCH = 10;

type Send = (
  callId: string,
  events: IngestEvent[],
) => Promise<{ status: number; retryAfter?: string | undefined }>;

/** Sends each call's events in batches until stopped; returns the seqs acknowledged per call. */
function loadUntil(send: Send, stop: () => boolean) {
  const acked = new Map<string, number[]>(CALLS.map((c) => [c, []]));
  const statuses: number[] = [];
  const retryAfter: string[] = [];
  const events = scriptedEvents(3000);
  const loops = CALLS.map(async (callId) => {
    let next = 0;
    while (!stop() && next < events.length) {
      const batch = events.slice(next, next + BATCH);
      let response;
      try {
        response = await send(callId, batch);
      } catch {
        await new Promise((r) => setTimeout(r, 50)); // server gone: keep trying until stopped
        continue;
      }
      statuses.push(response.status);
      if (response.status === 200) {
        acked.get(callId)!.push(...batch.map((e) => e.seq));
        next += BATCH;
      } else {
        if (response.retryAfter) retryAfter.push(response.retryAfter);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });
  return { acked, statuses, retryAfter, done: Promise.all(loops), events };
}

async function committedSeqs(store: Store, callId: string): Promise<number[]> {
  const [call] = await store.database.db
    .select()
    .from(liveCalls)
    .where(eq(liveCalls.callId, callId));
  if (!call) return [];
  const rows = await store.database.db
    .select({ seq: callEvents.seq })
    .from(callEvents)
    .where(eq(callEvents.liveCallId, call._id));
  return rows.map((r) => r.seq).filter((seq) => seq > 0);
}

function httpSender(baseUrl: string, key: string): Send {
  return async (callId, events) => {
    const response = await fetch(`${baseUrl}/api/v1/calls/${callId}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    await response.arrayBuffer();
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after') ?? undefined,
    };
  };
}

// PostgreSQL twice: with the calls on the main thread, and on the engine thread.
for (const [kind, thread] of [
  ...DATABASE_KINDS.map((kind) => [kind, false] as const),
  ['postgres', true] as const,
]) {
  describe.skipIf(kind === 'postgres' && !postgresAvailable)(
    `kill -9 during load [${kind}${thread ? ', engine thread' : ''}]`,
    () => {
      const cleanups: Array<() => Promise<void> | void> = [];
      afterAll(async () => {
        for (const cleanup of cleanups.reverse()) await cleanup();
      });

      it('keeps every acknowledged event exactly once across a kill -9 and restart', async () => {
        let args: string[];
        let target: Parameters<typeof openStore>[0];
        if (kind === 'pglite') {
          const dir = mkdtempSync(join(tmpdir(), 'earshot-kill-'));
          cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
          args = ['--data-dir', dir];
          target = { kind: 'pglite', dataDir: dir };
        } else {
          const database = await createPostgresDatabase();
          cleanups.push(() => database.drop());
          args = ['--database-url', database.url];
          target = { kind: 'postgres', url: database.url };
        }
        const keyOutput = await runCli([
          'keys',
          'create',
          '--name',
          'load',
          '--scope',
          'ingest',
          ...args,
        ]);
        const key = /(esk_\S+)/.exec(keyOutput)![1]!;
        if (thread) args.push('--engine-thread');

        const first = await startServerProcess(args);
        cleanups.push(() => first.kill9());
        for (const callId of CALLS) {
          const response = await fetch(`${first.url}/api/v1/calls`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify(startRequest(callId)),
          });
          expect(response.status).toBe(201);
        }
        let stopped = false;
        const load = loadUntil(httpSender(first.url, key), () => stopped);
        await new Promise((r) => setTimeout(r, 1500));
        await first.kill9();
        stopped = true;
        await load.done;
        const ackedTotal = [...load.acked.values()].reduce((n, seqs) => n + seqs.length, 0);
        expect(ackedTotal).toBeGreaterThan(0);

        // Restarted, the server recognises every acknowledged event as already received.
        const second = await startServerProcess(args);
        cleanups.push(() => second.kill9());
        const send = httpSender(second.url, key);
        for (const [callId, seqs] of load.acked) {
          for (let i = 0; i < seqs.length; i += BATCH) {
            const batch = load.events.filter((e) => seqs.slice(i, i + BATCH).includes(e.seq));
            const response = await fetch(`${second.url}/api/v1/calls/${callId}/events`, {
              method: 'POST',
              headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
              body: JSON.stringify({ events: batch }),
            });
            expect(response.status).toBe(200);
            expect(await response.json()).toMatchObject({ accepted: 0, duplicates: batch.length });
          }
          // And takes the rest of the call from where it stopped.
          const next = load.events.filter((e) => e.seq > Math.max(0, ...seqs)).slice(0, BATCH);
          expect((await send(callId, next)).status).toBe(200);
        }
        await second.stop();

        const store = await openStore(target);
        try {
          for (const [callId, seqs] of load.acked) {
            const committed = await committedSeqs(store, callId);
            expect(new Set(committed).size, 'no seq stored twice').toBe(committed.length);
            expect(committed).toEqual(expect.arrayContaining(seqs));
          }
        } finally {
          await store.close();
        }
      });
    },
  );
}

/** A supervisor's realtime socket: counts heartbeats and records a close. */
async function watchRealtime(base: string, key: string) {
  const socket = new WebSocket(`${base.replace('http', 'ws')}/api/v1/realtime`, {
    headers: { authorization: `Bearer ${key}` },
  });
  const watcher = { socket, beats: 0, closed: undefined as number | undefined };
  socket.on('close', (code) => (watcher.closed = code));
  await new Promise<void>((resolve, reject) => {
    socket.on('message', (data) => {
      const type = (JSON.parse(String(data)) as { type: string }).type;
      if (type === 'ready') resolve();
      if (type === 'heartbeat') watcher.beats++;
    });
    socket.once('error', reject);
  });
  return watcher;
}

/** A fresh PostgreSQL database reached through a proxy the test can cut and restore. */
async function postgresBehindProxy() {
  const database = await createPostgresDatabase();
  const upstream = new URL(TEST_POSTGRES_URL);
  const proxy = await startTcpProxy(upstream.hostname, Number(upstream.port || 5432));
  const viaProxy = new URL(database.url);
  viaProxy.port = String(proxy.port);
  return { database, proxy, url: viaProxy.toString() };
}

describe.skipIf(!postgresAvailable)('PostgreSQL unreachable during load', () => {
  it.each([
    ['main thread', false],
    ['engine thread', true],
  ])(
    'answers 503 with Retry-After, acknowledges nothing uncommitted, keeps supervisors connected, and recovers by itself (calls on the %s)',
    async (_host, thread) => {
      const { database, proxy, url } = await postgresBehindProxy();
      const config = loadConfig(
        {
          'database-url': url,
          'data-dir': 'memory://',
          ...(thread ? { 'engine-thread': true } : {}),
        },
        {},
      );
      const earshot = await createEarshot(
        config,
        pino({ level: process.env.DEBUG_DURABILITY ? 'debug' : 'silent' }),
        // Heartbeats re-check the supervisor's key several times during the outage.
        { realtime: { heartbeatMs: 200 } },
      );
      try {
        const key = (await earshot.keys.create({ name: 'load', scopes: ['ingest'] })).key;
        const watcher = await watchRealtime(
          await earshot.listen(),
          (await earshot.keys.create({ name: 'watch', scopes: ['monitor'] })).key,
        );
        const inject = async (url: string, body: unknown) => {
          const response = await earshot.app.inject({
            method: 'POST',
            url,
            headers: { authorization: `Bearer ${key}` },
            payload: body as object,
          });
          return {
            status: response.statusCode,
            retryAfter: response.headers['retry-after'] as string | undefined,
          };
        };
        for (const callId of CALLS)
          expect((await inject('/api/v1/calls', startRequest(callId))).status).toBe(201);

        let stopped = false;
        const load = loadUntil(
          (callId, events) => inject(`/api/v1/calls/${callId}/events`, { events }),
          () => stopped,
        );
        await new Promise((r) => setTimeout(r, 400));
        await proxy.cut();
        await new Promise((r) => setTimeout(r, 1500));
        const duringOutage = load.statuses.length;
        await proxy.restore();
        if (process.env.DEBUG_DURABILITY)
          console.log(
            'restored',
            load.statuses.length,
            earshot.calls.writeBacklog,
            earshot.calls.writable,
          );
        // Recovery: acknowledgements resume without any restart.
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline && !load.statuses.slice(duringOutage).includes(200)) {
          await new Promise((r) => setTimeout(r, 100));
        }
        await new Promise((r) => setTimeout(r, 300));
        stopped = true;
        await load.done;

        // A re-check that could not reach the database is not a refusal: the supervisor's
        // socket stayed open through the outage and still gets heartbeats after it.
        const beatsAfter = watcher.beats;
        await new Promise((r) => setTimeout(r, 600));
        expect(watcher.closed).toBeUndefined();
        expect(watcher.beats).toBeGreaterThan(beatsAfter);
        watcher.socket.close();

        expect(load.statuses).toContain(503);
        expect(load.retryAfter.length).toBeGreaterThan(0);
        expect(load.statuses.slice(duringOutage)).toContain(200);
        expect(load.statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
        await earshot.calls.flush();
        for (const [callId, seqs] of load.acked) {
          expect(await committedSeqs(earshot.store, callId)).toEqual(expect.arrayContaining(seqs));
        }
      } finally {
        await earshot.close();
        await proxy.close();
        await database.drop();
      }
    },
  );
});

describe.skipIf(!postgresAvailable)('a supervisor action refused with 503', () => {
  it('is taken once when retried with its Idempotency-Key after the database is back', async () => {
    const { database, proxy, url } = await postgresBehindProxy();
    const config = loadConfig(
      {
        'database-url': url,
        'data-dir': 'memory://',
        // A platform no one answers at: actions on the call get outbox rows.
        'platform-webhook-url': 'http://127.0.0.1:9/actions',
        'platform-webhook-secret': 'test-secret-0123456789abcdef',
      },
      {},
    );
    const earshot = await createEarshot(config, pino({ level: 'silent' }));
    try {
      const ingest = (await earshot.keys.create({ name: 'pipeline', scopes: ['ingest'] })).key;
      const monitor = (await earshot.keys.create({ name: 'Ada', scopes: ['monitor'] })).key;
      const post = async (url: string, body: unknown, key: string, headers = {}) => {
        const response = await earshot.app.inject({
          method: 'POST',
          url,
          headers: { authorization: `Bearer ${key}`, ...headers },
          payload: body as object,
        });
        return { status: response.statusCode, body: response.json() as Record<string, unknown> };
      };
      expect((await post('/api/v1/calls', startRequest('acted-1'), ingest)).status).toBe(201);
      const events = [
        { type: 'status', seq: 1, status: 'ringing' },
        { type: 'status', seq: 2, status: 'connected' },
      ];
      expect((await post('/api/v1/calls/acted-1/events', { events }, ingest)).status).toBe(200);

      const transfer = () =>
        post(
          '/api/v1/calls/acted-1/actions',
          { action: 'TRANSFER_CALL', details: 'billing' },
          monitor,
          { 'idempotency-key': 'transfer-once' },
        );
      // The supervisor's key is read (and cached) before the outage, so the 503 below comes
      // from the action's commit, not from checking the key.
      const note = await post(
        '/api/v1/calls/acted-1/actions',
        { action: 'ADD_NOTE', details: 'hi' },
        monitor,
      );
      expect(note.status).toBe(201);
      await proxy.cut();
      expect((await transfer()).status).toBe(503);
      await proxy.restore();
      let answer = await transfer();
      const deadline = Date.now() + 20_000;
      while (answer.status === 503 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        answer = await transfer();
      }
      expect(answer.status).toBe(200);
      await earshot.calls.flush();
      const id = (answer.body.action as { _id: string })._id;
      const db = earshot.store.database.db;
      const call = (await db.select().from(liveCalls).where(eq(liveCalls.callId, 'acted-1')))[0]!;
      const actions = await db
        .select()
        .from(supervisorActions)
        .where(eq(supervisorActions.liveCallId, call._id));
      expect(actions.filter((a) => a.action === 'TRANSFER_CALL').map((a) => a._id)).toEqual([id]);
      expect(await db.select().from(outbox).where(eq(outbox.liveCallId, call._id))).toHaveLength(1);
    } finally {
      await earshot.close();
      await proxy.close();
      await database.drop();
    }
  });
});
