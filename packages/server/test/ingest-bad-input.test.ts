// Bad input gets the right status and a problem+json naming the field, and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countAllRows } from './support/call-rows.ts';
import { DATABASE_KINDS, postgresAvailable } from './support/databases.ts';
import { startTestEarshot, type TestEarshot } from './support/earshot.ts';
import { startRequest } from './support/scripted-call.ts';

interface Case {
  name: string;
  method?: 'POST' | 'PATCH';
  url: string;
  /** A raw string is sent as is (for malformed JSON); anything else as JSON. */
  body: unknown;
  headers?: Record<string, string>;
  status: number;
  field?: string;
}

const MAX_BODY = 64 * 1024;
const audio = (seq: number, extra: object = {}) => ({
  type: 'audio',
  seq,
  agentGain: 10,
  customerGain: 10,
  ...extra,
});

const CASES: Case[] = [
  {
    name: 'malformed JSON',
    url: '/api/v1/calls',
    body: '{"callId": "x",',
    status: 400,
    field: '(body)',
  },
  {
    name: 'unknown field on start',
    url: '/api/v1/calls',
    body: { ...startRequest('bad-1'), role: 'admin' },
    status: 400,
    field: 'role',
  },
  {
    name: 'missing field on start',
    url: '/api/v1/calls',
    body: { ...startRequest('bad-1'), agentName: undefined },
    status: 400,
    field: 'agentName',
  },
  {
    name: 'wrong literal on start',
    url: '/api/v1/calls',
    body: startRequest('bad-1', { status: 'on-hold' as never }),
    status: 400,
    field: 'status',
  },
  {
    name: 'campaign id that does not exist',
    url: '/api/v1/calls',
    body: startRequest('bad-1', {
      campaignId: '00000000-0000-4000-8000-000000000000',
      campaignName: undefined,
    }),
    status: 400,
    field: 'campaignId',
  },
  {
    name: 'start of a known call with a different body',
    url: '/api/v1/calls',
    body: startRequest('victim', { agentName: 'Someone else' }),
    status: 409,
    field: 'callId',
  },
  {
    name: 'wrong literal in an event',
    url: '/api/v1/calls/victim/events',
    body: { events: [{ type: 'status', seq: 10, status: 'dialling' }] },
    status: 400,
    field: 'events.0.status',
  },
  {
    name: 'unknown event type',
    url: '/api/v1/calls/victim/events',
    body: { events: [{ type: 'dtmf', seq: 10 }] },
    status: 400,
    field: 'events.0.type',
  },
  {
    name: 'missing field in an event',
    url: '/api/v1/calls/victim/events',
    body: {
      events: [
        {
          type: 'transcript',
          seq: 10,
          segmentId: 's',
          speaker: 'agent',
          isFinal: true,
          timestamp: '0:01',
        },
      ],
    },
    status: 400,
    field: 'events.0.text',
  },
  {
    name: 'unknown field in an event',
    url: '/api/v1/calls/victim/events',
    body: { events: [audio(10, { supervisorId: 'x' })] },
    status: 400,
    field: 'events.0.supervisorId',
  },
  {
    name: 'out-of-range gain',
    url: '/api/v1/calls/victim/events',
    body: { events: [audio(10, { agentGain: 150 })] },
    status: 400,
    field: 'events.0.agentGain',
  },
  {
    name: 'out-of-range confidence',
    url: '/api/v1/calls/victim/events',
    body: {
      events: [
        {
          type: 'transcript',
          seq: 10,
          segmentId: 's',
          speaker: 'agent',
          text: 'hi',
          isFinal: true,
          timestamp: '0:01',
          confidence: 3,
        },
      ],
    },
    status: 400,
    field: 'events.0.confidence',
  },
  {
    name: 'a seq of zero',
    url: '/api/v1/calls/victim/events',
    body: { events: [audio(0)] },
    status: 400,
    field: 'events.0.seq',
  },
  {
    name: 'too many events in a batch',
    url: '/api/v1/calls/victim/events',
    body: { events: Array.from({ length: 501 }, (_, i) => audio(i + 10)) },
    status: 400,
    field: 'events',
  },
  {
    name: 'transcript text too long',
    url: '/api/v1/calls/victim/events',
    body: {
      events: [
        {
          type: 'transcript',
          seq: 10,
          segmentId: 's',
          speaker: 'agent',
          text: 'x'.repeat(4001),
          isFinal: true,
          timestamp: '0:01',
        },
      ],
    },
    status: 400,
    field: 'events.0.text',
  },
  {
    name: 'an empty batch',
    url: '/api/v1/calls/victim/events',
    body: { events: [] },
    status: 400,
    field: 'events',
  },
  {
    name: 'oversized body',
    url: '/api/v1/calls/victim/events',
    body: {
      events: [
        {
          type: 'transcript',
          seq: 10,
          segmentId: 's',
          speaker: 'agent',
          text: 'x'.repeat(MAX_BODY),
          isFinal: true,
          timestamp: '0:01',
        },
      ],
    },
    status: 413,
  },
  {
    name: 'an impossible transition (names the current state)',
    url: '/api/v1/calls/victim/events',
    body: { events: [audio(10), { type: 'status', seq: 11, status: 'on-hold' }] },
    status: 409,
    field: 'events.1.status',
  },
  {
    name: 'a reused seq with a different body',
    url: '/api/v1/calls/victim/events',
    body: { events: [audio(1, { agentGain: 99 })] },
    status: 409,
    field: 'events.0.seq',
  },
  {
    name: 'events for an unknown call',
    url: '/api/v1/calls/nobody/events',
    body: { events: [audio(1)] },
    status: 404,
  },
  {
    name: 'events for an ended call',
    url: '/api/v1/calls/finished/events',
    body: { events: [audio(5)] },
    status: 409,
    field: 'events.0',
  },
  {
    name: 'a call id over 200 characters in the path',
    url: `/api/v1/calls/${'x'.repeat(201)}/events`,
    body: { events: [audio(2)] },
    status: 400,
    field: 'callId',
  },
  {
    name: 'a path parameter too long for the router',
    url: `/api/v1/calls/${'x'.repeat(300)}/events`,
    body: { events: [audio(2)] },
    status: 400,
    field: '(path)',
  },
  {
    name: 'an unknown end reason',
    url: '/api/v1/calls/victim/end',
    body: { reason: 'bored' },
    status: 400,
    field: 'reason',
  },
  {
    name: 'the sweeper’s own end reason',
    url: '/api/v1/calls/victim/end',
    body: { reason: 'stale' },
    status: 400,
    field: 'reason',
  },
  {
    name: 'a text/plain body',
    url: '/api/v1/calls',
    body: 'hello',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    field: '(content-type)',
  },
  {
    name: 'no API key',
    url: '/api/v1/calls',
    body: startRequest('bad-2'),
    headers: { authorization: '' },
    status: 401,
    field: '(authorization)',
  },
  {
    name: 'a wrong API key',
    url: '/api/v1/calls',
    body: startRequest('bad-2'),
    headers: {
      authorization: 'Bearer esk_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
    },
    status: 401,
    field: '(authorization)',
  },
  {
    name: 'a malformed Authorization header',
    url: '/api/v1/calls',
    body: startRequest('bad-2'),
    headers: { authorization: 'Basic dXNlcjpwYXNz' },
    status: 401,
    field: '(authorization)',
  },
];

for (const kind of DATABASE_KINDS) {
  describe.skipIf(kind === 'postgres' && !postgresAvailable)(`bad input [${kind}]`, () => {
    let t: TestEarshot;
    beforeAll(async () => {
      t = await startTestEarshot(kind, { 'max-body-bytes': String(MAX_BODY) });
      expect((await t.request('POST', '/api/v1/calls', startRequest('victim'))).status).toBe(201);
      await t.request('POST', '/api/v1/calls/victim/events', { events: [audio(1)] });
      await t.request('POST', '/api/v1/calls', startRequest('finished'));
      await t.request('POST', '/api/v1/calls/finished/end', { reason: 'completed' });
    });
    afterAll(() => t.cleanup());

    it.each(CASES)(
      '$name → $status',
      async ({ url, body, headers, status, field, method = 'POST' }) => {
        const before = await countAllRows(t.earshot.store);
        const response = await t.earshot.app.inject({
          method,
          url,
          headers: {
            authorization: `Bearer ${t.ingestKey}`,
            'content-type': 'application/json',
            ...headers,
          },
          payload: typeof body === 'string' ? body : JSON.stringify(body),
        });
        expect(response.statusCode, response.body).toBe(status);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        const problem = response.json();
        expect(problem).toMatchObject({
          status,
          type: expect.stringMatching(/^urn:earshot:error:/),
        });
        if (field) expect(problem.errors.map((e: { field: string }) => e.field)).toContain(field);
        await t.earshot.calls.flush();
        expect(await countAllRows(t.earshot.store)).toBe(before);
      },
    );

    it('takes events for a call whose id has the longest length allowed', async () => {
      const callId = 'l'.repeat(200);
      expect((await t.request('POST', '/api/v1/calls', startRequest(callId))).status).toBe(201);
      const response = await t.request('POST', `/api/v1/calls/${callId}/events`, {
        events: [audio(1)],
      });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
    });

    it('refuses an ingest key on the campaign routes (403) and a manage key on ingest', async () => {
      expect((await t.request('GET', '/api/v1/campaigns')).status).toBe(403);
      const response = await t.request('POST', '/api/v1/calls', startRequest('bad-3'), {
        authorization: `Bearer ${t.manageKey}`,
      });
      expect(response.status).toBe(403);
    });

    it('refuses a revoked key', async () => {
      const { key, info } = await t.earshot.keys.create({
        name: 'short-lived',
        scopes: ['ingest'],
      });
      await t.earshot.keys.revoke(info.id);
      const response = await t.request('POST', '/api/v1/calls', startRequest('bad-4'), {
        authorization: `Bearer ${key}`,
      });
      expect(response.status).toBe(401);
    });
  });
}
