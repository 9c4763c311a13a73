// Redaction end to end: generated card numbers, written and spoken, split across chunks and
// interim updates, sent through the real ingest API, never appear in the database (live rows,
// archive, analytics), in any WebSocket frame a supervisor receives, or in the log. A failing
// redactor drops the chunk, counts it and logs it without its text. A supervisor's note or
// coaching is redacted the same way before it is stored, published or answered, and refused
// (500, nothing recorded) when the redactor fails.
import fc from 'fast-check';
import pino from 'pino';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RealtimeClient } from '@earshot/client';
import type { CallChange, IngestEvent } from '@earshot/protocol';
import { loadConfig } from '../src/config.ts';
import { createEarshot, type Earshot, type Overrides } from '../src/server.ts';
import * as schema from '../src/store/schema.ts';
import {
  card,
  FORMS,
  longestLeak,
  MAX_SHOWN_DIGITS,
  render,
  speechIn,
  type Card,
} from '../../engine/test/support/cards.ts';
import { createPostgresDatabase, DATABASE_KINDS, postgresAvailable } from './support/databases.ts';
import { startRequest } from './support/scripted-call.ts';

interface Harness {
  earshot: Earshot;
  base: string;
  ingestKey: string;
  monitorKey: string;
  logs: string[];
  frames: string[];
  client: RealtimeClient;
  close(): Promise<void>;
}

async function start(kind: 'pglite' | 'postgres', overrides: Overrides = {}): Promise<Harness> {
  const database = kind === 'postgres' ? await createPostgresDatabase() : undefined;
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const earshot = await createEarshot(
    loadConfig(
      {
        'data-dir': 'memory://',
        port: '0',
        ...(database ? { 'database-url': database.url } : {}),
      },
      {},
    ),
    pino({ level: 'trace' }, sink),
    overrides,
  );
  const base = await earshot.listen();
  const ingestKey = (await earshot.keys.create({ name: 'pipeline', scopes: ['ingest'] })).key;
  const monitorKey = (await earshot.keys.create({ name: 'supervisor', scopes: ['monitor'] })).key;
  const frames: string[] = [];
  const client = new RealtimeClient({
    url: `${base.replace('http', 'ws')}/api/v1/realtime`,
    token: monitorKey,
    socket: (url) => {
      const socket = new WebSocket(url);
      socket.on('message', (data) => frames.push(String(data)));
      return socket as never;
    },
  });
  return {
    earshot,
    base,
    ingestKey,
    monitorKey,
    logs,
    frames,
    client,
    async close() {
      client.close();
      await earshot.close();
      await database?.drop();
    },
  };
}

async function post(
  h: Harness,
  path: string,
  body: unknown,
  key: string = h.ingestKey,
): Promise<Response> {
  return fetch(`${h.base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const CASES = fc.sample(
  fc.record({
    card,
    form: fc.constantFrom(...FORMS),
    prefix: fc.constantFrom('my card number is', "it's", 'ok so', ''),
    split: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  { numRuns: 12, seed: 20261123 },
);

for (const kind of DATABASE_KINDS) {
  describe.skipIf(kind === 'postgres' && !postgresAvailable)(
    `redaction end to end [${kind}]`,
    () => {
      let h: Harness;
      beforeAll(async () => {
        h = await start(kind);
      });
      afterAll(() => h.close());

      it('keeps card numbers out of the database, the frames, the log, the archive and the analytics', async () => {
        await until(() => h.client.state === 'live', 'the realtime connection');
        h.client.subscribe({ kind: 'wallboard' }, { onSnapshot() {}, onDelta() {} });
        const cards: Card[] = [];
        for (const [i, { card: c, form, prefix, split }] of CASES.entries()) {
          cards.push(c);
          const callId = `pii-${i}`;
          expect((await post(h, '/api/v1/calls', startRequest(callId))).status).toBe(201);
          let ended = false;
          h.client.subscribe(
            { kind: 'call', callId },
            {
              onSnapshot() {},
              onDelta(changes: CallChange[]) {
                // The call's row arrives as a patch of the fields that changed.
                if (
                  changes.some(
                    (ch) => ch.table === 'liveCalls' && 'set' in ch && ch.set.status === 'ended',
                  )
                )
                  ended = true;
              },
            },
          );
          const tokens = render(c, form);
          const at = Math.round(split * tokens.length);
          let seq = 0;
          const t = (segmentId: string, text: string, isFinal: boolean): IngestEvent => ({
            type: 'transcript',
            seq: ++seq,
            segmentId,
            speaker: 'customer',
            text,
            isFinal,
            timestamp: '0:30',
            confidence: 0.9,
          });
          const events: IngestEvent[] = [
            { type: 'status', seq: ++seq, status: 'ringing' },
            { type: 'status', seq: ++seq, status: 'connected' },
          ];
          // The first chunk grows through interims, then the second finishes the number.
          for (let end = 1; end <= at; end++)
            events.push(t('a', `${prefix} ${tokens.slice(0, end).join('')}`, false));
          events.push(t('a', `${prefix} ${tokens.slice(0, at).join('')}`.trim() || 'right', true));
          events.push(t('b', `${tokens.slice(at).join('')} is that all you need?`, true));
          for (const event of events) {
            const response = await post(h, `/api/v1/calls/${callId}/events`, { events: [event] });
            expect(response.status).toBe(200);
          }
          expect(
            (await post(h, `/api/v1/calls/${callId}/end`, { reason: 'completed' })).status,
          ).toBe(200);
          await until(() => ended, `${callId} to end at the subscriber`);
        }

        const db = h.earshot.store.database.db;
        const stored = [
          ...(await db.select().from(schema.liveTranscripts)),
          ...(await db.select().from(schema.transcriptArchive)),
          ...(await db.select().from(schema.callAnalytics)),
          ...(await db.select().from(schema.sentimentAnalysis)),
          ...(await db.select().from(schema.coachingRecommendations)),
          ...(await db.select().from(schema.nextActions)),
          ...(await db.select().from(schema.liveCalls)),
        ];
        const archived = await db.select().from(schema.transcriptArchive);
        expect(archived.length).toBeGreaterThan(0);
        const places = {
          database: speechIn(stored).join('\n'),
          frames: speechIn(h.frames.map((f) => JSON.parse(f))).join('\n'),
          log: h.logs.join('\n'),
        };
        expect(h.frames.length).toBeGreaterThan(CASES.length);
        for (const c of cards) {
          for (const [place, text] of Object.entries(places)) {
            expect(longestLeak(text, c), `${c.digits} in the ${place}`).toBeLessThanOrEqual(
              MAX_SHOWN_DIGITS,
            );
          }
        }
        // The roll-up counts what was redacted.
        const analytics = await db.select().from(schema.callAnalytics);
        expect(analytics.every((a) => (a.redactions?.card ?? 0) >= 1)).toBe(true);
      });

      it("keeps card numbers out of a supervisor's note and coaching: stored, published and answered", async () => {
        const callId = 'pii-notes';
        expect((await post(h, '/api/v1/calls', startRequest(callId))).status).toBe(201);
        const noted: string[] = [];
        h.client.subscribe(
          { kind: 'call', callId },
          {
            onSnapshot() {},
            onDelta(changes: CallChange[]) {
              for (const change of changes)
                if (change.table === 'supervisorActions') noted.push(JSON.stringify(change));
            },
          },
        );
        const number = '4111 1111 1111 1111';
        const answers: string[] = [];
        for (const [action, details] of [
          ['ADD_NOTE', `customer read out ${number}`],
          ['COACH_AGENT', `never repeat ${number} back`],
          ['FLAG_FOR_REVIEW', `card ${number.replaceAll(' ', '')} said twice`],
        ]) {
          const response = await post(
            h,
            `/api/v1/calls/${callId}/actions`,
            { action, details },
            h.monitorKey,
          );
          expect(response.status).toBe(201);
          answers.push(await response.text());
        }
        expect(answers[0]).toContain('customer read out [CARD]');
        await until(() => noted.length >= 3, 'the actions at the subscriber');
        const db = h.earshot.store.database.db;
        const stored = JSON.stringify([
          ...(await db.select().from(schema.supervisorActions)),
          ...(await db.select().from(schema.callAnnotations)),
          ...(await db.select().from(schema.auditLog)),
        ]);
        expect(stored).toContain('never repeat [CARD] back');
        for (const [place, text] of Object.entries({
          database: stored,
          frames: noted.join('\n'),
          answers: answers.join('\n'),
          log: h.logs.join('\n'),
        })) {
          expect(text, place).not.toMatch(/4111 ?1111/);
        }
      });
    },
  );
}

describe('a failing redactor', () => {
  it('drops the chunk, counts it, and logs it without its text', async () => {
    const h = await start('pglite', {
      redact: () => {
        throw new Error('redactor broke');
      },
    });
    try {
      await post(h, '/api/v1/calls', startRequest('broken-1'));
      const response = await post(h, '/api/v1/calls/broken-1/events', {
        events: [
          {
            type: 'transcript',
            seq: 1,
            segmentId: 'x',
            speaker: 'customer',
            text: 'my card is 4111 1111 1111 1111',
            isFinal: true,
            timestamp: '0:05',
          },
        ],
      });
      expect(response.status).toBe(200);
      expect(h.earshot.calls.snapshot('broken-1')!.liveTranscripts).toEqual([]);
      const health = (await (await fetch(`${h.base}/api/v1/health`)).json()) as {
        redactionFailures: number;
      };
      expect(health.redactionFailures).toBe(1);
      const log = h.logs.join('\n');
      expect(log).toContain('redaction failed');
      expect(log).not.toContain('4111');
    } finally {
      await h.close();
    }
  });

  it("refuses a supervisor's note with 500 naming the field, and records nothing", async () => {
    const h = await start('pglite', {
      redact: () => {
        throw new Error('redactor broke');
      },
    });
    try {
      await post(h, '/api/v1/calls', startRequest('broken-2'));
      const response = await post(
        h,
        '/api/v1/calls/broken-2/actions',
        { action: 'ADD_NOTE', details: 'card 4111 1111 1111 1111' },
        h.monitorKey,
      );
      expect(response.status).toBe(500);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      const problem = (await response.json()) as { errors: Array<{ field: string }> };
      expect(problem.errors.map((e) => e.field)).toEqual(['details']);
      expect(h.earshot.calls.snapshot('broken-2')!.supervisorActions).toEqual([]);
      const db = h.earshot.store.database.db;
      expect(await db.select().from(schema.supervisorActions)).toEqual([]);
      expect(await db.select().from(schema.callAnnotations)).toEqual([]);
      expect(h.logs.join('\n')).not.toContain('4111');
    } finally {
      await h.close();
    }
  });
});
