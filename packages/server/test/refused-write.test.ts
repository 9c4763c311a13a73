// A write the database refuses (rather than cannot take) is undone in memory: the call goes
// back to what the store holds, its subscribers start again from that state, and the refused
// events count as never received, so a resend is applied rather than acknowledged as a
// duplicate of something that was never stored.
import { applyCallChanges, RealtimeClient } from '@earshot/client';
import type { CallChange, CallSnapshot, IngestEvent } from '@earshot/protocol';
import { eq, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.ts';
import { createEarshot, type Earshot } from '../src/server.ts';
import { liveCalls, liveTranscripts } from '../src/store/schema.ts';
import {
  createPostgresDatabase,
  postgresAvailable,
  type DatabaseKind,
} from './support/databases.ts';
import { startRequest } from './support/scripted-call.ts';

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const final = (seq: number, text: string): IngestEvent => ({
  type: 'transcript',
  seq,
  segmentId: `seg-${seq}`,
  speaker: 'customer',
  text,
  isFinal: true,
  timestamp: '00:00:05',
});

const VARIANTS: Array<{ kind: DatabaseKind; engineThread: boolean }> = [
  { kind: 'pglite', engineThread: false },
  { kind: 'postgres', engineThread: false },
  { kind: 'postgres', engineThread: true }, // the engine thread needs PostgreSQL
];

for (const { kind, engineThread } of VARIANTS) {
  describe.skipIf(kind === 'postgres' && !postgresAvailable)(
    `a write the database refuses [${kind}${engineThread ? ', engine thread' : ''}]`,
    () => {
      let earshot: Earshot;
      let base: string;
      let ingestKey: string;
      let client: RealtimeClient;
      let drop: (() => Promise<void>) | undefined;

      beforeAll(async () => {
        const database = kind === 'postgres' ? await createPostgresDatabase() : undefined;
        drop = database?.drop;
        earshot = await createEarshot(
          loadConfig(
            {
              'data-dir': 'memory://',
              port: '0',
              ...(database ? { 'database-url': database.url } : {}),
              ...(engineThread ? { 'engine-thread': true } : {}),
            },
            {},
          ),
          pino({ level: 'silent' }),
        );
        base = await earshot.listen();
        ingestKey = (await earshot.keys.create({ name: 'pipeline', scopes: ['ingest'] })).key;
        const monitorKey = (await earshot.keys.create({ name: 'screen', scopes: ['monitor'] })).key;
        client = new RealtimeClient({
          url: `${base.replace('http', 'ws')}/api/v1/realtime`,
          token: monitorKey,
          socket: (url) => new WebSocket(url) as never,
        });
        // The transcript table refuses any row whose text says REFUSE.
        await earshot.store.database.db.execute(sql`
            CREATE FUNCTION refuse_transcript() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.text LIKE '%REFUSE%' THEN RAISE EXCEPTION 'transcript refused'; END IF;
              RETURN NEW;
            END $$`);
        await earshot.store.database.db.execute(sql`
            CREATE TRIGGER refuse_transcript BEFORE INSERT OR UPDATE ON live_transcripts
            FOR EACH ROW EXECUTE FUNCTION refuse_transcript()`);
      });
      afterAll(async () => {
        client.close();
        await earshot.close();
        await drop?.();
      });

      const ingest = (callId: string, events: IngestEvent[]) =>
        fetch(`${base}/api/v1/calls/${callId}/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events }),
        });
      /** The call's transcript as the database holds it. */
      const stored = async (callId: string) => {
        const rows = await earshot.store.database.db
          .select({ text: liveTranscripts.text })
          .from(liveTranscripts)
          .innerJoin(liveCalls, eq(liveTranscripts.liveCallId, liveCalls._id))
          .where(eq(liveCalls.callId, callId))
          .orderBy(liveTranscripts.order);
        return rows.map((row) => row.text);
      };

      it('forgets a call whose first row was refused, so that starting it again creates it', async () => {
        const db = earshot.store.database.db;
        await db.execute(sql`
          CREATE FUNCTION refuse_call() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            IF NEW.customer_name LIKE '%REFUSE%' THEN RAISE EXCEPTION 'call refused'; END IF;
            RETURN NEW;
          END $$`);
        await db.execute(sql`
          CREATE TRIGGER refuse_call BEFORE INSERT ON live_calls
          FOR EACH ROW EXECUTE FUNCTION refuse_call()`);
        const callId = `refused-start-${kind}-${engineThread}`;
        const start = () =>
          fetch(`${base}/api/v1/calls`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
            body: JSON.stringify(startRequest(callId, { customerName: 'REFUSE Okafor' })),
          });
        expect((await start()).status).toBe(500);
        await until(() => earshot.calls.snapshot(callId) === undefined, 'the call to be forgotten');
        await until(
          () => !earshot.hub.wallboardEntries(undefined).some((row) => row.callId === callId),
          'the call to leave the wallboard',
        );
        await db.execute(sql`DROP TRIGGER refuse_call ON live_calls`);
        const again = await start();
        expect(again.status).toBe(201);
        expect(earshot.calls.snapshot(callId)?.liveCall.customerName).toBe('REFUSE Okafor');
      });

      it('undoes the refused change in memory, resyncs subscribers, and applies a resend', async () => {
        const callId = `refused-${kind}-${engineThread}`;
        const started = await fetch(`${base}/api/v1/calls`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(startRequest(callId)),
        });
        expect(started.status).toBe(201);
        let replica: CallSnapshot | undefined;
        let resyncs = 0;
        const texts: string[] = [];
        client.subscribe<CallSnapshot, CallChange>(
          { kind: 'call', callId },
          {
            onSnapshot: (data) => (replica = data),
            onDelta: (changes) => {
              replica = applyCallChanges(replica!, changes);
              for (const change of changes)
                if (change.table === 'liveTranscripts' && 'doc' in change)
                  texts.push(String(change.doc.text));
            },
            onResync: () => (resyncs += 1),
          },
        );
        await until(() => replica !== undefined, 'the snapshot');

        expect((await ingest(callId, [final(1, 'hello there')])).status).toBe(200);
        const refused = await ingest(callId, [final(2, 'please REFUSE this one')]);
        expect(refused.status).toBe(500);
        expect(refused.headers.get('content-type')).toContain('application/problem+json');

        // Subscribers saw the change before its commit; they are told to start again, and the
        // state they get back is the stored one.
        expect(texts).toContain('please REFUSE this one');
        await until(() => resyncs === 1, 'the resync');
        await until(
          () => replica?.liveTranscripts.map((t) => t.text).join('|') === 'hello there',
          'the stored state',
        );
        expect(await stored(callId)).toEqual(['hello there']);

        // A resend is applied again, not taken for a duplicate: refused again while the
        // database refuses it, accepted once it does not.
        await until(
          () => earshot.calls.snapshot(callId)?.liveTranscripts.length === 1,
          'the reload',
        );
        const again = await ingest(callId, [final(2, 'please REFUSE this one')]);
        expect(again.status).toBe(500);
        await until(() => resyncs === 2, 'the second resync');
        await earshot.store.database.db.execute(
          sql`DROP TRIGGER refuse_transcript ON live_transcripts`,
        );
        await until(
          () => earshot.calls.snapshot(callId)?.liveTranscripts.length === 1,
          'the second reload',
        );
        const resent = await ingest(callId, [final(2, 'please REFUSE this one')]);
        expect(resent.status).toBe(200);
        expect(await resent.json()).toMatchObject({ accepted: 1, duplicates: 0 });
        expect(await stored(callId)).toEqual(['hello there', 'please REFUSE this one']);
        await until(() => replica?.liveTranscripts.length === 2, 'the resent row');

        // Later events of the call go on as usual.
        expect((await ingest(callId, [final(3, 'and goodbye')])).status).toBe(200);
        expect(await stored(callId)).toEqual([
          'hello there',
          'please REFUSE this one',
          'and goodbye',
        ]);
      });
    },
  );
}
