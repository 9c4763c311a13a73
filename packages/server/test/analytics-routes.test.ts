// The permanent record read back over HTTP, on both databases: ended calls' roll-ups listed
// newest first and filtered, one roll-up with its archived transcript, and totals over a
// period; each user sees only their campaigns' calls; bad queries are refused naming the field.
import type { CallAnalytics, TranscriptArchive } from '@earshot/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS, postgresAvailable } from './support/databases.ts';
import { startTestEarshot, T0, type TestEarshot } from './support/earshot.ts';
import { SALES_CAMPAIGN, startRequest } from './support/scripted-call.ts';
import { signedInUser } from './support/users.ts';

const MINUTE = 60_000;

for (const kind of DATABASE_KINDS) {
  describe.skipIf(kind === 'postgres' && !postgresAvailable)(
    `analytics read back [${kind}]`,
    () => {
      let t: TestEarshot;
      let monitorKey: string;
      /** A viewer whose only campaign is the sales one. */
      let viewerCookie: string;
      let otherCampaignId: string;

      const get = (url: string, auth: Record<string, string> = {}) =>
        t.request('GET', url, undefined, { authorization: `Bearer ${monitorKey}`, ...auth });
      /** A request with the viewer's session cookie and no key. */
      const asViewer = async (url: string) => {
        const response = await t.earshot.app.inject({
          method: 'GET',
          url,
          headers: { cookie: viewerCookie },
        });
        return { status: response.statusCode, body: response.json() as Record<string, unknown> };
      };

      /** Starts a call at the clock's time and ends it `minutes` later with `reason`. */
      async function endedCall(
        callId: string,
        campaignName: string,
        agentName: string,
        minutes: number,
        reason: string,
        said?: string,
      ) {
        const start = startRequest(callId, {
          campaignName,
          agentName,
          startTime: new Date(t.clock.now).toISOString(),
        });
        expect((await t.request('POST', '/api/v1/calls', start)).status).toBe(201);
        if (said) {
          const events = [
            { type: 'status', seq: 1, status: 'ringing' },
            { type: 'status', seq: 2, status: 'connected' },
            {
              type: 'transcript',
              seq: 3,
              segmentId: 's1',
              speaker: 'agent',
              text: said,
              isFinal: true,
              timestamp: '0:05',
            },
          ];
          const sent = await t.request('POST', `/api/v1/calls/${callId}/events`, { events });
          expect(sent.status, JSON.stringify(sent.body)).toBe(200);
        }
        t.clock.advance(minutes * MINUTE);
        const ended = await t.request('POST', `/api/v1/calls/${callId}/end`, { reason });
        expect(ended.status, JSON.stringify(ended.body)).toBe(200);
        t.clock.advance(MINUTE);
      }

      beforeAll(async () => {
        t = await startTestEarshot(kind);
        monitorKey = (await t.earshot.keys.create({ name: 'Ada', scopes: ['monitor'] })).key;
        const manage = { authorization: `Bearer ${t.manageKey}` };
        const sales = await t.request('POST', '/api/v1/campaigns', SALES_CAMPAIGN, manage);
        const other = await t.request(
          'POST',
          '/api/v1/campaigns',
          { ...SALES_CAMPAIGN, name: 'Other team' },
          manage,
        );
        const salesId = (sales.body.campaign as { _id: string })._id;
        otherCampaignId = (other.body.campaign as { _id: string })._id;
        await endedCall(
          'a-1',
          SALES_CAMPAIGN.name,
          'Dana Whitfield',
          1,
          'completed',
          'Hello there',
        );
        await endedCall('a-2', SALES_CAMPAIGN.name, 'Quinn Agent', 3, 'no-answer');
        await endedCall('b-1', 'Other team', 'Dana Whitfield', 1.5, 'completed');
        const base = await t.earshot.listen();
        viewerCookie = (
          await signedInUser(t.earshot, base, {
            username: 'vic',
            role: 'viewer',
            campaignIds: [salesId],
          })
        ).cookie;
      });
      afterAll(() => t.cleanup());

      const ids = (body: Record<string, unknown>) =>
        (body.calls as CallAnalytics[]).map((call) => call.callId);

      it('lists roll-ups newest first, filtered by campaign, agent, end reason and period', async () => {
        const all = await get('/api/v1/analytics/calls');
        expect(all.status).toBe(200);
        expect(ids(all.body)).toEqual(['b-1', 'a-2', 'a-1']);
        expect((all.body.calls as CallAnalytics[])[2]).toMatchObject({
          callId: 'a-1',
          durationSeconds: 60,
          endReason: 'completed',
          transcriptChunks: 1,
        });
        const filtered = async (query: string) =>
          ids((await get(`/api/v1/analytics/calls?${query}`)).body);
        expect(await filtered('agentName=Dana%20Whitfield')).toEqual(['b-1', 'a-1']);
        expect(await filtered('endReason=no-answer')).toEqual(['a-2']);
        expect(await filtered(`campaignId=${otherCampaignId}`)).toEqual(['b-1']);
        expect(await filtered('limit=1')).toEqual(['b-1']);
        // a-1 ended at 10:01, a-2 at 10:05 and b-1 at 10:08: [from, to).
        const from = new Date(T0 + MINUTE).toISOString();
        const to = new Date(T0 + 8.5 * MINUTE).toISOString();
        expect(await filtered(`from=${from}&to=${to}`)).toEqual(['b-1', 'a-2', 'a-1']);
        expect(
          await filtered(`to=${encodeURIComponent('2026-11-23T11:08:30+01:00')}&limit=2`),
        ).toEqual(['b-1', 'a-2']);
        expect(await filtered(`from=${new Date(T0 + 5 * MINUTE).toISOString()}`)).toEqual([
          'b-1',
          'a-2',
        ]);
      });

      it('reads one roll-up with its archived transcript', async () => {
        const list = (await get('/api/v1/analytics/calls')).body.calls as CallAnalytics[];
        const a1 = list.find((call) => call.callId === 'a-1')!;
        const one = await get(`/api/v1/analytics/calls/${a1._id}`);
        expect(one.status).toBe(200);
        expect(one.body.call).toEqual(a1);
        expect((one.body.transcript as TranscriptArchive[]).map((line) => line.text)).toEqual([
          'Hello there',
        ]);
        const missing = await get('/api/v1/analytics/calls/00000000-0000-4000-8000-000000000000');
        expect(missing.status).toBe(404);
        const malformed = await get('/api/v1/analytics/calls/not-a-uuid');
        expect(malformed.status).toBe(400);
        expect(malformed.body.errors).toEqual([expect.objectContaining({ field: 'id' })]);
      });

      it('adds up the calls a query selects', async () => {
        const all = await get('/api/v1/analytics/summary');
        expect(all.status).toBe(200);
        expect(all.body.summary).toMatchObject({
          calls: 3,
          averageDurationSeconds: 110, // (60 + 180 + 90) / 3
          objectivesTotal: 6, // the sales script has two objectives per call
          byEndReason: { completed: 2, 'no-answer': 1 },
        });
        const dana = await get('/api/v1/analytics/summary?agentName=Dana%20Whitfield');
        expect(dana.body.summary).toMatchObject({ calls: 2, averageDurationSeconds: 75 });
        const none = await get('/api/v1/analytics/summary?endReason=voicemail');
        expect(none.body.summary).toEqual({
          calls: 0,
          averageDurationSeconds: null,
          averageAgentTalkPercentage: null,
          averagePositivePercentage: null,
          averageNegativePercentage: null,
          averageConversionProbability: null,
          objectivesCompleted: 0,
          objectivesTotal: 0,
          totalCost: 0,
          byEndReason: {},
        });
      });

      it("shows a user only their campaigns' calls", async () => {
        const listed = await asViewer('/api/v1/analytics/calls');
        expect(listed.status).toBe(200);
        expect(ids(listed.body)).toEqual(['a-2', 'a-1']);
        // Asking for the other campaign by name changes nothing.
        expect(
          ids((await asViewer(`/api/v1/analytics/calls?campaignId=${otherCampaignId}`)).body),
        ).toEqual([]);
        const summary = await asViewer('/api/v1/analytics/summary');
        expect(summary.body.summary).toMatchObject({ calls: 2, averageDurationSeconds: 120 });
        const all = (await get('/api/v1/analytics/calls')).body.calls as CallAnalytics[];
        const foreign = all.find((call) => call.callId === 'b-1')!;
        expect((await asViewer(`/api/v1/analytics/calls/${foreign._id}`)).status).toBe(404);
        const own = all.find((call) => call.callId === 'a-2')!;
        expect((await asViewer(`/api/v1/analytics/calls/${own._id}`)).status).toBe(200);
      });

      it('pages with the cursor it answers, losing no call that ended in the same millisecond', async () => {
        // Two more calls that end at the same instant.
        const endedAt = t.clock.now + MINUTE;
        for (const callId of ['tie-1', 'tie-2']) {
          const start = startRequest(callId, { startTime: new Date(t.clock.now).toISOString() });
          expect((await t.request('POST', '/api/v1/calls', start)).status).toBe(201);
        }
        t.clock.advance(MINUTE);
        for (const callId of ['tie-1', 'tie-2'])
          await t.request('POST', `/api/v1/calls/${callId}/end`, { reason: 'completed' });
        const seen: string[] = [];
        let query = `limit=1&from=${new Date(T0).toISOString()}`;
        for (let page = 0; page < 10; page++) {
          const response = await get(`/api/v1/analytics/calls?${query}`);
          expect(response.status, JSON.stringify(response.body)).toBe(200);
          seen.push(...ids(response.body));
          if (!response.body.next) break;
          query = `limit=1&from=${new Date(T0).toISOString()}&cursor=${String(response.body.next)}`;
        }
        expect(seen.slice(0, 2).sort()).toEqual(['tie-1', 'tie-2']);
        expect(seen.slice(2)).toEqual(['b-1', 'a-2', 'a-1']);
        const tied = (await get('/api/v1/analytics/calls?limit=2')).body.calls as CallAnalytics[];
        expect(tied.map((call) => Date.parse(call.endedAt))).toEqual([endedAt, endedAt]);
      });

      it('refuses a bad query naming the field, and anyone not signed in', async () => {
        const refused = async (query: string, field: string) => {
          const response = await get(`/api/v1/analytics/calls?${query}`);
          expect(response.status, query).toBe(400);
          expect(response.body.errors, query).toEqual(
            expect.arrayContaining([expect.objectContaining({ field })]),
          );
        };
        await refused('from=yesterday', 'from');
        await refused(`from=${new Date(T0).toISOString()}&to=${new Date(T0).toISOString()}`, 'to');
        await refused('limit=0', 'limit');
        await refused('endReason=hung-up', 'endReason');
        await refused('campaign=x', 'campaign');
        await refused('cursor=bm90LWEtY3Vyc29y', 'cursor');
        const anonymous = await get('/api/v1/analytics/calls', { authorization: '' });
        expect(anonymous.status).toBe(401);
        const ingestOnly = await get('/api/v1/analytics/summary', {
          authorization: `Bearer ${t.ingestKey}`,
        });
        expect(ingestOnly.status).toBe(403);
      });
    },
  );
}
