// Supervisor actions over HTTP: one supervisorActions row per request, in the acting key's
// name, committed and pushed like any change; bad bodies refused with the field named.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, supervisorActions } from '../src/store/schema.ts';
import { DATABASE_KINDS, postgresAvailable } from './support/databases.ts';
import { startTestEarshot, type TestEarshot } from './support/earshot.ts';
import { SALES_CAMPAIGN, startRequest } from './support/scripted-call.ts';

for (const kind of DATABASE_KINDS) {
  describe.skipIf(kind === 'postgres' && !postgresAvailable)(`supervisor actions [${kind}]`, () => {
    let t: TestEarshot;
    let monitorKey: string;
    const act = (callId: string, body: unknown, key = monitorKey) =>
      t.request('POST', `/api/v1/calls/${callId}/actions`, body, {
        authorization: `Bearer ${key}`,
      });

    beforeAll(async () => {
      t = await startTestEarshot(kind);
      monitorKey = (await t.earshot.keys.create({ name: 'Ada Supervisor', scopes: ['monitor'] }))
        .key;
      await t.request('POST', '/api/v1/campaigns', SALES_CAMPAIGN, {
        authorization: `Bearer ${t.manageKey}`,
      });
      await t.request('POST', '/api/v1/calls', startRequest('act-1'));
      await t.request('POST', '/api/v1/calls/act-1/events', {
        events: [
          { type: 'status', seq: 1, status: 'ringing' },
          { type: 'status', seq: 2, status: 'connected' },
        ],
      });
    });
    afterAll(() => t.cleanup());

    it('records each action once, in the key holder’s name, in order, and stores it', async () => {
      t.clock.advance(135_000);
      const coach = await act('act-1', { action: 'COACH_AGENT', details: 'Slow down' });
      expect(coach.status).toBe(201);
      expect(coach.body.action).toMatchObject({
        action: 'COACH_AGENT',
        details: 'Slow down',
        supervisorName: 'Ada Supervisor',
        order: 0,
      });
      const bookmark = await act('act-1', {
        action: 'BOOKMARK_MOMENT',
        details: 'price objection',
      });
      // The call started at T0 and the clock is 2:15 into it.
      expect(bookmark.body.action).toMatchObject({ details: '2:15 price objection', order: 1 });
      const snapshot = t.earshot.calls.snapshot('act-1')!;
      expect(snapshot.supervisorActions.map((a) => a.action)).toEqual([
        'COACH_AGENT',
        'BOOKMARK_MOMENT',
      ]);
      const rows = await t.earshot.store.database.db
        .select()
        .from(supervisorActions)
        .where(eq(supervisorActions.liveCallId, snapshot.liveCall._id));
      expect(rows).toHaveLength(2);
    });

    it.each([
      [{ action: 'COACH_AGENT' }, 'details'],
      [{ action: 'TRANSFER_CALL', details: '   ' }, 'details'],
      [{ action: 'DANCE' }, 'action'],
      [{ action: 'ADD_NOTE', details: 'x', supervisorName: 'Someone else' }, 'supervisorName'],
      [{ action: 'JOIN_CALL', supervisorId: 'u-2' }, 'supervisorId'],
    ])('refuses %j naming %s, and records nothing', async (body, field) => {
      const before = t.earshot.calls.snapshot('act-1')!.supervisorActions.length;
      const response = await act('act-1', body);
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(JSON.stringify(response.body.errors)).toContain(field);
      expect(t.earshot.calls.snapshot('act-1')!.supervisorActions).toHaveLength(before);
    });

    it('takes an action once per Idempotency-Key: a retry gets the first answer, 200', async () => {
      const withKey = (body: unknown, idempotencyKey: string, key = monitorKey) =>
        t.request('POST', '/api/v1/calls/act-1/actions', body, {
          authorization: `Bearer ${key}`,
          'idempotency-key': idempotencyKey,
        });
      const first = await withKey({ action: 'TRANSFER_CALL', details: 'billing' }, 'transfer-42');
      expect(first.status).toBe(201);
      const again = await withKey({ action: 'TRANSFER_CALL', details: 'billing' }, 'transfer-42');
      expect(again.status).toBe(200);
      const id = (first.body.action as { _id: string })._id;
      expect(again.body.action).toEqual(first.body.action);
      const rows = await t.earshot.store.database.db
        .select()
        .from(supervisorActions)
        .where(eq(supervisorActions._id, id));
      expect(rows).toHaveLength(1);
      expect(
        t.earshot.calls.snapshot('act-1')!.supervisorActions.filter((a) => a._id === id),
      ).toHaveLength(1);
      const audited = await t.earshot.store.database.db
        .select()
        .from(auditLog)
        .where(eq(auditLog.event, 'supervisor_action'));
      expect(audited.filter((e) => e.detail?.actionId === id)).toHaveLength(1);

      // The same key for another action is a mistake, named.
      const other = await withKey({ action: 'END_CALL' }, 'transfer-42');
      expect(other.status).toBe(409);
      expect(other.body.errors).toEqual([expect.objectContaining({ field: '(idempotency-key)' })]);
      // Another user's key of the same text is theirs.
      const otherKey = (await t.earshot.keys.create({ name: 'Bo Supervisor', scopes: ['monitor'] }))
        .key;
      const theirs = await withKey(
        { action: 'TRANSFER_CALL', details: 'billing' },
        'transfer-42',
        otherKey,
      );
      expect(theirs.status).toBe(201);
      expect((theirs.body.action as { _id: string })._id).not.toBe(id);
      // A key a header cannot carry is refused, naming the header.
      const bad = await withKey({ action: 'ADD_NOTE', details: 'x' }, 'has space');
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'idempotency-key' })]);
    });

    it('refuses a missing key (401), a key without the monitor scope (403) and an unknown call (404)', async () => {
      expect((await act('act-1', { action: 'JOIN_CALL' }, '')).status).toBe(401);
      expect((await act('act-1', { action: 'JOIN_CALL' }, t.ingestKey)).status).toBe(403);
      expect((await act('no-such-call', { action: 'JOIN_CALL' })).status).toBe(404);
    });

    it('keeps taking notes and flags after the call ends, but not actions on the call', async () => {
      await t.request('POST', '/api/v1/calls/act-1/end', { reason: 'completed' });
      expect((await act('act-1', { action: 'ADD_NOTE', details: 'Follow up Friday' })).status).toBe(
        201,
      );
      expect(
        (await act('act-1', { action: 'FLAG_FOR_REVIEW', details: 'Check the quote' })).status,
      ).toBe(201);
      const end = await act('act-1', { action: 'END_CALL' });
      expect(end.status).toBe(409);
      expect(end.body.errors).toEqual([{ field: 'action', message: 'END_CALL needs a live call' }]);
    });

    it('finds notes, bookmarks and flags again after the call’s live rows expire', async () => {
      const search = (query: string) =>
        t.request('GET', `/api/v1/annotations${query}`, undefined, {
          authorization: `Bearer ${monitorKey}`,
        });
      t.clock.advance(61 * 60_000); // past the hour of retention after the call ended
      await t.earshot.sweeper.runOnce();
      expect(t.earshot.calls.snapshot('act-1')).toBeUndefined();
      expect(
        (
          await t.request('GET', '/api/v1/calls/act-1/actions', undefined, {
            authorization: `Bearer ${monitorKey}`,
          })
        ).status,
      ).toBe(404);

      const all = await search('?callId=act-1');
      expect(all.status).toBe(200);
      const annotations = all.body.annotations as Array<Record<string, unknown>>;
      // The coaching was an action on the call, not an annotation. Newest first.
      expect(annotations.map((a) => [a.action, a.details]).sort()).toEqual([
        ['ADD_NOTE', 'Follow up Friday'],
        ['BOOKMARK_MOMENT', '2:15 price objection'],
        ['FLAG_FOR_REVIEW', 'Check the quote'],
      ]);
      const times = annotations.map((a) => a.createdAt as number);
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(annotations[0]).toMatchObject({ callId: 'act-1', supervisorName: 'Ada Supervisor' });
      const flags = await search('?action=FLAG_FOR_REVIEW');
      expect((flags.body.annotations as unknown[]).length).toBe(1);
      const bad = await search('?action=COACH_AGENT');
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body.errors)).toContain('action');
    });

    it('takes an Idempotency-Key afresh on a later call that reuses the callId', async () => {
      const note = (details: string) =>
        t.request(
          'POST',
          '/api/v1/calls/reuse-1/actions',
          { action: 'ADD_NOTE', details },
          { authorization: `Bearer ${monitorKey}`, 'idempotency-key': 'note-1' },
        );
      const start = () =>
        t.request(
          'POST',
          '/api/v1/calls',
          startRequest('reuse-1', { startTime: new Date(t.clock.now).toISOString() }),
        );
      expect((await start()).status).toBe(201);
      expect((await note('First call')).status).toBe(201);
      await t.request('POST', '/api/v1/calls/reuse-1/end', { reason: 'completed' });
      t.clock.advance(61 * 60_000);
      await t.earshot.sweeper.runOnce();
      // Another call under the same callId, and the same key: another action, and the first
      // call's note, kept as an annotation, is not overwritten by this one.
      expect((await start()).status).toBe(201);
      expect((await note('Second call')).status).toBe(201);
      const annotations = await t.request('GET', '/api/v1/annotations?callId=reuse-1', undefined, {
        authorization: `Bearer ${monitorKey}`,
      });
      expect(
        (annotations.body.annotations as Array<{ details: string }>).map((a) => a.details).sort(),
      ).toEqual(['First call', 'Second call']);
    });
  });
}
