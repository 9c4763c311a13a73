// Supervisor actions that act on a call reach the voice platform through the transactional
// outbox as signed webhooks: one supervisorActions row and one outbox row per action, retried
// with backoff until acknowledged, acted on exactly once thanks to the idempotency key; the
// platform's receiver refuses forged, stale and replayed signatures.
import { eq } from 'drizzle-orm';
import { NONCE_HEADER, signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '@earshot/engine';
import { PlatformReceiver, type PlatformAction } from '@earshot/simulator';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxDispatcher } from '../src/jobs/outbox-dispatcher.ts';
import { outbox, supervisorActions } from '../src/store/schema.ts';
import { DATABASE_KINDS, postgresAvailable } from './support/databases.ts';
import { startTestEarshot, type TestEarshot } from './support/earshot.ts';
import { startRequest } from './support/scripted-call.ts';

const SECRET = 'test-secret-0123456789abcdef';

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

for (const kind of DATABASE_KINDS) {
  describe.skipIf(kind === 'postgres' && !postgresAvailable)(`action delivery [${kind}]`, () => {
    let t: TestEarshot;
    let monitorKey: string;
    let receiver: PlatformReceiver;
    let receiverUrl: string;
    const acted: PlatformAction[] = [];
    let failuresLeft = 0;
    /** Requests as the platform received them, for the replay test. */
    const sent: Array<{ body: string; headers: Record<string, string> }> = [];
    let loseNextAnswer = false;

    beforeAll(async () => {
      receiver = new PlatformReceiver({
        secret: SECRET,
        onAction: (action) => {
          if (failuresLeft > 0) {
            failuresLeft--;
            throw new Error('platform busy');
          }
          acted.push(action);
        },
      });
      receiverUrl = await receiver.listen();
      t = await startTestEarshot(kind, {
        'platform-webhook-url': receiverUrl,
        'platform-webhook-secret': SECRET,
      });
      monitorKey = (await t.earshot.keys.create({ name: 'Ada Supervisor', scopes: ['monitor'] }))
        .key;
      await t.request('POST', '/api/v1/calls', startRequest('deliver-1'));
      await t.request('POST', '/api/v1/calls/deliver-1/events', {
        events: [
          { type: 'status', seq: 1, status: 'ringing' },
          { type: 'status', seq: 2, status: 'connected' },
        ],
      });
    });
    afterAll(async () => {
      await t.cleanup();
      await receiver.close();
    });

    /** A dispatcher over the test's server, with fast backoff and a fetch the test can break. */
    function dispatcher(): OutboxDispatcher {
      return new OutboxDispatcher({
        store: t.earshot.store,
        calls: t.earshot.calls,
        logger: pino({ level: 'warn' }),
        url: receiverUrl,
        secret: SECRET,
        intervalMs: 20,
        backoffMinMs: 30,
        backoffMaxMs: 100,
        fetch: async (url, init) => {
          const headers = init!.headers as Record<string, string>;
          sent.push({ body: String(init!.body), headers });
          const response = await fetch(url, init);
          if (loseNextAnswer) {
            // The platform acted, but its answer never arrives.
            loseNextAnswer = false;
            throw new Error('socket hang up');
          }
          return response;
        },
      });
    }

    const act = (body: unknown) =>
      t.request('POST', '/api/v1/calls/deliver-1/actions', body, {
        authorization: `Bearer ${monitorKey}`,
      });

    it('writes one action row and one outbox row, and delivers once despite two failures and a lost answer', async () => {
      // The server's own dispatcher is stopped so this test drives delivery.
      await t.earshot.dispatcher!.stop();
      await t.earshot.dispatcher!.drain();
      const response = await act({ action: 'TRANSFER_CALL', details: 'retention-queue' });
      expect(response.status).toBe(201);
      const action = response.body.action as { _id: string; delivery: { status: string } };
      expect(action.delivery).toEqual({ status: 'pending', attempts: 0 });
      const db = t.earshot.store.database.db;
      const rows = await db.select().from(outbox).where(eq(outbox.actionId, action._id));
      expect(rows).toHaveLength(1);
      expect(
        await db.select().from(supervisorActions).where(eq(supervisorActions._id, action._id)),
      ).toHaveLength(1);

      failuresLeft = 2;
      loseNextAnswer = false;
      const worker = dispatcher();
      // Two 500s, then the platform acts but the answer is lost, then a duplicate is acknowledged.
      let attempts = 0;
      const originalFailures = failuresLeft;
      worker.start();
      try {
        await until(async () => {
          attempts = sent.length;
          if (attempts === originalFailures) loseNextAnswer = true;
          const [row] = await db.select().from(outbox).where(eq(outbox.actionId, action._id));
          return row?.status === 'delivered';
        }, 'delivery');
      } finally {
        await worker.stop();
        await worker.drain();
      }
      expect(acted.filter((a) => a.id === action._id)).toHaveLength(1);
      expect(receiver.stats.duplicates).toBeGreaterThanOrEqual(1);
      const [row] = await db.select().from(outbox).where(eq(outbox.actionId, action._id));
      expect(row).toMatchObject({ status: 'delivered', attempts: 4 });
      // Every attempt carried the same idempotency key and a fresh signature.
      const keys = new Set(sent.map((s) => s.headers['idempotency-key']));
      expect(keys).toEqual(new Set([action._id]));
      expect(new Set(sent.map((s) => s.headers['x-earshot-signature'])).size).toBe(sent.length);
      // Subscribers see where the delivery stands.
      const stored = t.earshot.calls
        .snapshot('deliver-1')!
        .supervisorActions.find((a) => a._id === action._id)!;
      expect(stored.delivery).toMatchObject({ status: 'delivered', attempts: 4 });
      expect(acted.at(-1)).toMatchObject({
        type: 'TRANSFER_CALL',
        callId: 'deliver-1',
        details: 'retention-queue',
        supervisor: { name: 'Ada Supervisor' },
      });
    });

    /** A live call to act on, and a way to take actions on it. */
    async function liveCall(callId: string) {
      await t.request('POST', '/api/v1/calls', startRequest(callId));
      await t.request('POST', `/api/v1/calls/${callId}/events`, {
        events: [
          { type: 'status', seq: 1, status: 'ringing' },
          { type: 'status', seq: 2, status: 'connected' },
        ],
      });
      return async (body: unknown): Promise<string> => {
        const response = await t.request('POST', `/api/v1/calls/${callId}/actions`, body, {
          authorization: `Bearer ${monitorKey}`,
        });
        expect(response.status, JSON.stringify(response.body)).toBe(201);
        return (response.body.action as { _id: string })._id;
      };
    }

    /** A dispatcher whose platform is `answer` (a status, or a hang until aborted). */
    function dispatcherAnswering(
      answer: (payload: PlatformAction, signal: AbortSignal) => Promise<number>,
      overrides: Partial<ConstructorParameters<typeof OutboxDispatcher>[0]> = {},
    ): OutboxDispatcher {
      return new OutboxDispatcher({
        store: t.earshot.store,
        calls: t.earshot.calls,
        logger: pino({ level: 'silent' }),
        url: 'http://platform.invalid/actions',
        secret: SECRET,
        intervalMs: 10,
        backoffMinMs: 200,
        backoffMaxMs: 200,
        timeoutMs: 1_000,
        fetch: async (_url, init) => {
          const payload = JSON.parse(String(init!.body)) as PlatformAction;
          return new Response(null, { status: await answer(payload, init!.signal!) });
        },
        ...overrides,
      });
    }

    async function outboxRow(actionId: string) {
      const [row] = await t.earshot.store.database.db
        .select()
        .from(outbox)
        .where(eq(outbox.actionId, actionId));
      return row!;
    }

    it("holds a call's later actions back while an earlier one is retried", async () => {
      await t.earshot.dispatcher!.stop();
      await t.earshot.dispatcher!.drain();
      const actOn = await liveCall('order-1');
      const transfer = await actOn({ action: 'TRANSFER_CALL', details: 'billing queue' });
      const end = await actOn({ action: 'END_CALL' });
      const seen: string[] = [];
      let refused = false;
      const worker = dispatcherAnswering(async (payload) => {
        seen.push(payload.type);
        if (payload.id === transfer && !refused) return ((refused = true), 503);
        return 200;
      });
      worker.start();
      try {
        await until(async () => (await outboxRow(end)).status === 'delivered', 'both delivered');
      } finally {
        await worker.stop();
        await worker.drain();
      }
      // The END_CALL waited for the transfer's retry, 200 ms later, rather than overtake it.
      expect(seen).toEqual(['TRANSFER_CALL', 'TRANSFER_CALL', 'END_CALL']);
      expect(await outboxRow(transfer)).toMatchObject({ status: 'delivered', attempts: 2 });
    });

    it("does not let one call's silent platform hold up another call's actions", async () => {
      const actOnSlow = await liveCall('slow-1');
      const actOnFast = await liveCall('fast-1');
      const stuck = await actOnSlow({ action: 'COACH_AGENT', details: 'slow down' });
      const worker = dispatcherAnswering(
        (payload, signal) =>
          payload.id === stuck
            ? new Promise((_resolve, reject) =>
                signal.addEventListener('abort', () => reject(signal.reason)),
              )
            : Promise.resolve(200),
        { timeoutMs: 60_000 },
      );
      worker.start();
      try {
        await until(
          async () => (await outboxRow(stuck)).nextAttemptAt > Date.now(),
          'the slow one claimed',
        );
        const quick = await actOnFast({ action: 'COACH_AGENT', details: 'well done' });
        const started = Date.now();
        await until(async () => (await outboxRow(quick)).status === 'delivered', 'the fast one');
        expect(Date.now() - started).toBeLessThan(5_000);
        expect((await outboxRow(stuck)).status).toBe('pending');
      } finally {
        await worker.stop();
        // The hung attempt ends with the test: its row is left to a later run.
        await t.earshot.store.database.db
          .update(outbox)
          .set({ status: 'failed' })
          .where(eq(outbox.actionId, stuck));
      }
    });

    it('sends each row once with two dispatchers on one database, and keeps what the first recorded', async () => {
      const actOn = await liveCall('two-dispatchers');
      const ids = [
        await actOn({ action: 'COACH_AGENT', details: 'one' }),
        await actOn({ action: 'JOIN_CALL' }),
        await actOn({ action: 'COACH_AGENT', details: 'three' }),
      ];
      const sentIds: string[] = [];
      const workers = [0, 1].map(() =>
        dispatcherAnswering(async (payload) => (sentIds.push(payload.id), 200)),
      );
      for (const worker of workers) worker.start();
      try {
        await until(
          async () =>
            (await Promise.all(ids.map(outboxRow))).every((row) => row.status === 'delivered'),
          'all delivered',
        );
      } finally {
        for (const worker of workers) await worker.stop();
        for (const worker of workers) await worker.drain();
      }
      expect(sentIds.filter((id) => ids.includes(id))).toEqual(ids);

      // An attempt whose answer comes after another dispatcher recorded the row changes nothing.
      const late = await actOn({ action: 'COACH_AGENT', details: 'late' });
      const worker = dispatcherAnswering(async () => {
        await t.earshot.store.database.db
          .update(outbox)
          .set({ status: 'delivered', attempts: 1, deliveredAt: Date.now() })
          .where(eq(outbox.actionId, late));
        return 503;
      });
      worker.start();
      try {
        await until(
          async () => (await outboxRow(late)).status === 'delivered',
          'recorded elsewhere',
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        await worker.stop();
        await worker.drain();
      }
      expect(await outboxRow(late)).toMatchObject({ status: 'delivered', attempts: 1 });
    });

    it("records the outcome on the action's row in the same commit, for a call this process does not hold", async () => {
      // Only this test's dispatcher runs: the server's own would record through the call.
      await t.earshot.dispatcher!.stop();
      await t.earshot.dispatcher!.drain();
      const actOn = await liveCall('elsewhere-1');
      const id = await actOn({ action: 'JOIN_CALL' });
      const worker = dispatcherAnswering(async () => 200, {
        calls: { ...t.earshot.calls, recordDelivery: async () => undefined },
      });
      worker.start();
      try {
        await until(async () => (await outboxRow(id)).status === 'delivered', 'delivered');
      } finally {
        await worker.stop();
        await worker.drain();
      }
      const [row] = await t.earshot.store.database.db
        .select()
        .from(supervisorActions)
        .where(eq(supervisorActions._id, id));
      expect(row!.delivery).toMatchObject({ status: 'delivered', attempts: 1 });
    });

    it('sends nothing for notes, bookmarks and flags: they stay in Earshot', async () => {
      const response = await act({ action: 'ADD_NOTE', details: 'Follow up Friday' });
      const action = response.body.action as { _id: string; delivery?: unknown };
      expect(action.delivery).toBeUndefined();
      const rows = await t.earshot.store.database.db
        .select()
        .from(outbox)
        .where(eq(outbox.actionId, action._id));
      expect(rows).toEqual([]);
    });

    it('refuses a forged, a stale and a replayed signature, acting on none of them', async () => {
      const before = receiver.stats.acted;
      const body = JSON.stringify({
        id: '11111111-1111-4111-8111-111111111111',
        type: 'END_CALL',
        callId: 'deliver-1',
        supervisor: { id: 'x', name: 'Mallory' },
      });
      const now = Math.floor(Date.now() / 1000);
      const forged = await receiver.handle(body, {
        [TIMESTAMP_HEADER]: String(now),
        [NONCE_HEADER]: 'n1',
        [SIGNATURE_HEADER]: signWebhook('not-the-secret-at-all', now, 'n1', body),
      });
      expect(forged).toMatchObject({ status: 401, body: { error: 'mismatch' } });
      const tampered = await receiver.handle(body.replace('END_CALL', 'JOIN_CALL'), {
        [TIMESTAMP_HEADER]: String(now),
        [NONCE_HEADER]: 'n2',
        [SIGNATURE_HEADER]: signWebhook(SECRET, now, 'n2', body),
      });
      expect(tampered).toMatchObject({ status: 401, body: { error: 'mismatch' } });
      const old = now - 3600;
      const stale = await receiver.handle(body, {
        [TIMESTAMP_HEADER]: String(old),
        [NONCE_HEADER]: 'n3',
        [SIGNATURE_HEADER]: signWebhook(SECRET, old, 'n3', body),
      });
      expect(stale).toMatchObject({ status: 401, body: { error: 'stale' } });
      const missing = await receiver.handle(body, {});
      expect(missing).toMatchObject({ status: 401, body: { error: 'missing' } });
      // A request Earshot really sent, sent again by someone who captured it.
      const captured = sent.at(-1)!;
      const replayed = await receiver.handle(captured.body, captured.headers);
      expect(replayed).toMatchObject({ status: 401, body: { error: 'replayed' } });
      expect(receiver.stats.acted).toBe(before);
    });
  });
}
