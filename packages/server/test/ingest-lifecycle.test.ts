// The call lifecycle over HTTP on both databases: start, 200 mixed events, end, roll-up,
// retention; replays and shuffles leave the same rows.
import { and, eq } from 'drizzle-orm';
import type { IngestEvent, LivePerformanceMetrics } from '@earshot/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as schema from '../src/store/schema.ts';
import { callRows, comparable } from './support/call-rows.ts';
import { DATABASE_KINDS, postgresAvailable } from './support/databases.ts';
import { startTestEarshot, type TestEarshot } from './support/earshot.ts';
import { SALES_CAMPAIGN, scriptedEvents, startRequest } from './support/scripted-call.ts';

for (const kind of DATABASE_KINDS) {
  describe.skipIf(kind === 'postgres' && !postgresAvailable)(`call lifecycle [${kind}]`, () => {
    let t: TestEarshot;
    beforeAll(async () => {
      t = await startTestEarshot(kind);
      const created = await t.request('POST', '/api/v1/campaigns', SALES_CAMPAIGN, {
        authorization: `Bearer ${t.manageKey}`,
      });
      expect(created.status).toBe(201);
    });
    afterAll(() => t.cleanup());

    async function sendAll(callId: string, events: IngestEvent[], batchSize: number, times = 1) {
      for (let i = 0; i < events.length; i += batchSize) {
        const batch = events.slice(i, i + batchSize);
        for (let n = 0; n < times; n++) {
          const response = await t.request('POST', `/api/v1/calls/${callId}/events`, {
            events: batch,
          });
          expect(response.status, JSON.stringify(response.body)).toBe(200);
          expect(response.body).toMatchObject(
            n === 0 ? { accepted: batch.length } : { accepted: 0, duplicates: batch.length },
          );
        }
      }
    }

    it('stores a whole scripted call, rolls it up at the end, and expires the live rows an hour later', async () => {
      const start = await t.request('POST', '/api/v1/calls', startRequest('lifecycle-1'));
      expect(start.status).toBe(201);
      expect(start.body.call).toMatchObject({
        status: 'connecting',
        campaignName: SALES_CAMPAIGN.name,
        currentPhase: 'Opening',
      });

      const events = scriptedEvents(200);
      t.clock.advance(30_000);
      await sendAll('lifecycle-1', events.slice(0, 100), 25);
      t.clock.advance(30_000);
      await sendAll('lifecycle-1', events.slice(100), 25);
      t.clock.advance(60_000);
      const ended = await t.request('POST', '/api/v1/calls/lifecycle-1/end', {
        reason: 'completed',
      });
      expect(ended.status).toBe(200);

      const rows = await callRows(t.earshot.store, 'lifecycle-1');
      const call = rows.liveCalls[0]!;
      expect(call).toMatchObject({
        status: 'ended',
        endReason: 'completed',
        endedAt: '2026-11-23T10:02:00.000Z',
        duration: 120,
        isRecording: false,
      });
      expect(rows.callEvents).toHaveLength(201); // 200 events and the start
      // One row per transcript segment, each holding its final text.
      const finals = events.filter(
        (e): e is Extract<IngestEvent, { type: 'transcript' }> =>
          e.type === 'transcript' && e.isFinal,
      );
      const segments = new Set(
        events.flatMap((e) => (e.type === 'transcript' ? [e.segmentId] : [])),
      );
      expect(rows.liveTranscripts).toHaveLength(segments.size);
      const stored = new Map(rows.liveTranscripts.map((r) => [r.segmentId, r]));
      for (const final of finals)
        expect(stored.get(final.segmentId)).toMatchObject({
          text: final.text,
          isFinal: true,
          speaker: final.speaker,
        });
      expect(rows.callObjectives.find((o) => o.objective === 'Confirm identity')).toMatchObject({
        status: 'completed',
      });
      expect(rows.callPhases.map((p) => [p.phase, p.status])).toEqual(
        expect.arrayContaining([
          ['Opening', 'completed'],
          ['Discovery', 'completed'],
          ['Pitch', 'completed'],
        ]),
      );
      // The pipeline's own next actions are kept beside the engine's three (immediate, next, follow-up).
      const fromPipeline = events
        .filter((e) => e.type === 'next_action')
        .map((e) => (e as { action: string }).action);
      expect(
        rows.nextActions.filter((a) => fromPipeline.includes(a.action as string)),
      ).toHaveLength(fromPipeline.length);
      expect(rows.nextActions.map((a) => a.priority)).toEqual(
        expect.arrayContaining(['immediate', 'next', 'follow-up']),
      );
      expect(rows.coachingRecommendations.length).toBeGreaterThan(0);
      expect(rows.coachingRecommendations.every((c) => c.isActive === false)).toBe(true);
      expect(rows.callSystemConfig[0]).toMatchObject({
        sipProvider: 'Twilio',
        costPerMinute: 0.12,
      });
      // Cost accrues from the first health event (at 0:30 of the call) to the end (2:00).
      expect(rows.callSystemConfig[0]!.totalCost).toBeCloseTo(0.12 * 1.5, 5);

      const [analytics] = await t.earshot.store.database.db
        .select()
        .from(schema.callAnalytics)
        .where(eq(schema.callAnalytics.callId, 'lifecycle-1'));
      expect(analytics).toMatchObject({
        endReason: 'completed',
        durationSeconds: 120,
        transcriptChunks: finals.length,
        objectivesTotal: 2,
      });
      expect(analytics!.objectivesCompleted).toBe(
        events.filter((e) => e.type === 'objective' && e.status === 'completed').length,
      );
      const archive = await t.earshot.store.analytics.archivedTranscript('lifecycle-1');
      expect(archive.map((line) => line.text)).toEqual(finals.map((f) => f.text));

      // Retention: nothing is deleted before end + 1 h; everything live is after it.
      t.clock.advance(59 * 60_000);
      await t.earshot.sweeper.runOnce();
      expect((await callRows(t.earshot.store, 'lifecycle-1')).liveCalls).toHaveLength(1);
      t.clock.advance(2 * 60_000);
      await t.earshot.sweeper.runOnce();
      const after = await callRows(t.earshot.store, 'lifecycle-1');
      for (const [table, list] of Object.entries(after)) expect(list, table).toEqual([]);
      // No detail row of the call survives anywhere (cascade).
      const orphans = await t.earshot.store.database.db
        .select()
        .from(schema.liveTranscripts)
        .where(eq(schema.liveTranscripts.liveCallId, call._id as string));
      expect(orphans).toEqual([]);
      expect(await t.earshot.store.analytics.findByCallId('lifecycle-1')).toBeDefined();
      expect(await t.earshot.store.analytics.archivedTranscript('lifecycle-1')).toHaveLength(
        finals.length,
      );
    });

    it('takes a callId again once its live rows have expired, and rolls it up as another call', async () => {
      // lifecycle-1 was ended and swept by the test before: its roll-up stays.
      const first = await t.earshot.store.analytics.findByCallId('lifecycle-1');
      expect(first).toBeDefined();
      const again = startRequest('lifecycle-1', {
        startTime: new Date(t.clock.now).toISOString(),
      });
      expect((await t.request('POST', '/api/v1/calls', again)).status).toBe(201);
      t.clock.advance(45_000);
      const ended = await t.request('POST', '/api/v1/calls/lifecycle-1/end', {
        reason: 'completed',
      });
      expect(ended.status, JSON.stringify(ended.body)).toBe(200);
      const rollups = await t.earshot.store.database.db
        .select()
        .from(schema.callAnalytics)
        .where(eq(schema.callAnalytics.callId, 'lifecycle-1'));
      expect(rollups.map((r) => r.durationSeconds).sort((a, b) => a - b)).toEqual([45, 120]);
      const latest = await t.earshot.store.analytics.findByCallId('lifecycle-1');
      expect(latest).toMatchObject({ durationSeconds: 45, transcriptChunks: 0 });
      expect(latest!._id).not.toBe(first!._id);
      // The archive read by callId is the latest call's (this one said nothing).
      expect(await t.earshot.store.analytics.archivedTranscript('lifecycle-1')).toEqual([]);
    });

    it('leaves exactly the same rows when every request is sent twice and transcripts are shuffled', async () => {
      // The metrics pass runs on real timers: a pass that ticks one call and not the other
      // would make them differ for a reason this test is not about.
      await t.earshot.ticker.stop();
      const events = scriptedEvents(200);
      await t.request('POST', '/api/v1/calls', startRequest('replay-a'));
      await sendAll('replay-a', events, 20);

      // Same events; transcripts shuffled among themselves (other kinds keep their places,
      // as status changes must stay in order), every request sent twice.
      const transcriptSlots = events
        .map((e, i) => (e.type === 'transcript' ? i : -1))
        .filter((i) => i >= 0);
      const shuffledTranscripts = [...transcriptSlots]
        .sort((a, b) => ((a * 7919) % 211) - ((b * 7919) % 211))
        .map((i) => events[i]!);
      const shuffled = events.map((e) =>
        e.type === 'transcript' ? shuffledTranscripts.shift()! : e,
      );
      await t.request('POST', '/api/v1/calls', startRequest('replay-b'));
      expect((await t.request('POST', '/api/v1/calls', startRequest('replay-b'))).status).toBe(200);
      await sendAll('replay-b', shuffled, 20, 2);

      const a = comparable(await callRows(t.earshot.store, 'replay-a'));
      const b = comparable(await callRows(t.earshot.store, 'replay-b'));
      // The event log records arrival; everything derived from the events must match.
      const { callEvents: logA, ...restA } = a;
      const { callEvents: logB, ...restB } = b;
      expect(restB).toEqual(restA);
      expect(logB).toHaveLength(logA!.length);
    });

    it('answers a resend after the end from the event log, holding no event hashes for the ended call', async () => {
      expect((await t.request('POST', '/api/v1/calls', startRequest('resend-1'))).status).toBe(201);
      const events = scriptedEvents(10);
      await sendAll('resend-1', events, 10);
      expect(
        (await t.request('POST', '/api/v1/calls/resend-1/end', { reason: 'completed' })).status,
      ).toBe(200);

      // The same events: duplicates, as before the end.
      const again = await t.request('POST', '/api/v1/calls/resend-1/events', { events });
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ accepted: 0, duplicates: 10, lastSeq: 10 });
      // A changed body under a seq it accepted, and a new seq: refused, naming the event.
      const changed = await t.request('POST', '/api/v1/calls/resend-1/events', {
        events: [events[0], { ...events[1], seq: events[2]!.seq }],
      });
      expect(changed.status).toBe(409);
      expect(changed.body.errors).toEqual([
        { field: 'events.1.seq', message: 'Same seq, different body' },
      ]);
      const late = await t.request('POST', '/api/v1/calls/resend-1/events', {
        events: [{ type: 'status', seq: 11, status: 'on-hold' }],
      });
      expect(late.status).toBe(409);
      expect(late.body.errors).toEqual([
        { field: 'events.0', message: 'The call is ended; it accepts no more events' },
      ]);

      // Nothing of the call's events is held in memory any more: with one of them gone from
      // the log, its resend is no longer recognised.
      const [call] = (await callRows(t.earshot.store, 'resend-1')).liveCalls;
      await t.earshot.store.database.db
        .delete(schema.callEvents)
        .where(
          and(
            eq(schema.callEvents.liveCallId, String(call!._id)),
            eq(schema.callEvents.seq, events[0]!.seq),
          ),
        );
      const forgotten = await t.request('POST', '/api/v1/calls/resend-1/events', {
        events: [events[0]],
      });
      expect(forgotten.status).toBe(409);
    });

    it('ends a call that sends nothing for the stale timeout, with reason "stale", as of its last event', async () => {
      const startedAt = t.clock.now;
      await t.request(
        'POST',
        '/api/v1/calls',
        startRequest('stale-1', { startTime: new Date(startedAt).toISOString() }),
      );
      const health = scriptedEvents(200).find((e) => e.type === 'health')!;
      const first = await t.request('POST', '/api/v1/calls/stale-1/events', {
        events: [
          { type: 'status', seq: 1, status: 'ringing' },
          { type: 'status', seq: 2, status: 'connected' },
          { ...health, seq: 3, costPerMinute: 1 },
        ],
      });
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      t.clock.advance(60_000);
      await t.earshot.calls.tickAll();
      t.clock.advance(2 * 60_000);
      const last = await t.request('POST', '/api/v1/calls/stale-1/events', {
        events: [{ ...health, seq: 4, costPerMinute: 1 }],
      });
      expect(last.status, JSON.stringify(last.body)).toBe(200);
      // The line goes dead at 3:00; the ticker goes on writing metrics rows of silence.
      for (let minute = 0; minute < 11; minute++) {
        t.clock.advance(60_000);
        await t.earshot.calls.tickAll();
      }
      await t.earshot.sweeper.runOnce();
      const rows = await callRows(t.earshot.store, 'stale-1');
      expect(rows.liveCalls[0]).toMatchObject({
        status: 'ended',
        endReason: 'stale',
        endedAt: new Date(startedAt + 3 * 60_000).toISOString(),
        duration: 180,
      });
      expect(rows.callSystemConfig[0]!.totalCost).toBeCloseTo(3, 5);
      const analytics = await t.earshot.store.analytics.findByCallId('stale-1');
      expect(analytics).toMatchObject({ durationSeconds: 180, totalCost: 3 });
      // Only the metrics row written while the call was alive (at 1:00) counts.
      const alive = (rows.livePerformanceMetrics as LivePerformanceMetrics[]).filter(
        (m) => m._creationTime <= startedAt + 3 * 60_000,
      );
      expect(alive).toHaveLength(1);
      expect(rows.livePerformanceMetrics.length).toBeGreaterThan(1);
      expect(analytics!.metricAverages!.scriptAdherence).toBeCloseTo(alive[0]!.scriptAdherence, 2);
    });

    it('ends the other stale calls when one of them cannot be ended', async () => {
      const startTime = new Date(t.clock.now).toISOString();
      for (const callId of ['stale-a', 'stale-b'])
        await t.request('POST', '/api/v1/calls', startRequest(callId, { startTime }));
      t.clock.advance(11 * 60_000);
      const calls = t.earshot.calls as unknown as { commit: (...args: unknown[]) => Promise<void> };
      const commit = calls.commit.bind(calls);
      let refused = 0;
      calls.commit = (callId, ...rest) => {
        if (callId === 'stale-a' && refused++ === 0) return Promise.reject(new Error('refused'));
        return commit(callId, ...rest);
      };
      try {
        expect(await t.earshot.calls.endStale(10 * 60_000)).toEqual(['stale-b']);
      } finally {
        calls.commit = commit;
      }
      expect(await t.earshot.calls.endStale(10 * 60_000)).toEqual(['stale-a']);
    });
  });
}
