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
