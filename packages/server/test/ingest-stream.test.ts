// Streaming ingest over one WebSocket per call: the same event shapes as HTTP, each frame
// answered in order by an ack once committed, or an error naming the field.
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.ts';
import { createEarshot, type Earshot } from '../src/server.ts';
import { liveTranscripts } from '../src/store/schema.ts';
import { scriptedEvents, startRequest } from './support/scripted-call.ts';

describe('streaming ingest over WebSocket', () => {
  let earshot: Earshot;
  let url: string;
  let key: string;

  beforeAll(async () => {
    earshot = await createEarshot(
      loadConfig({ 'data-dir': 'memory://', port: '0' }, {}),
      pino({ level: 'silent' }),
    );
    url = (await earshot.listen()).replace('http', 'ws');
    key = (await earshot.keys.create({ name: 'pipeline', scopes: ['ingest'] })).key;
    await earshot.calls.start(startRequest('streamed-1'));
  });
  afterAll(() => earshot.close());

  function open(callId: string, authorization?: string): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${url}/api/v1/calls/${callId}/stream`, {
        headers:
          authorization === undefined ? { authorization: `Bearer ${key}` } : { authorization },
      });
      socket.once('open', () => resolve(socket));
      socket.once('unexpected-response', (_request, response) =>
        reject(new Error(`HTTP ${response.statusCode}`)),
      );
      socket.once('error', reject);
    });
  }

  function replies(socket: WebSocket, count: number): Promise<Array<Record<string, unknown>>> {
    return new Promise((resolve) => {
      const received: Array<Record<string, unknown>> = [];
      socket.on('message', (data) => {
        received.push(JSON.parse(data.toString()));
        if (received.length === count) resolve(received);
      });
    });
  }

  it('acknowledges each frame in order once committed, replays included', async () => {
    const socket = await open('streamed-1');
    const events = scriptedEvents(60);
    const answers = replies(socket, 7);
    for (let i = 0; i < 60; i += 10)
      socket.send(JSON.stringify({ events: events.slice(i, i + 10) }));
    socket.send(JSON.stringify({ events: events.slice(0, 10) })); // a replay
    const received = await answers;
    expect(received.map((r) => r.type)).toEqual(['ack', 'ack', 'ack', 'ack', 'ack', 'ack', 'ack']);
    expect(received.map((r) => r.lastSeq)).toEqual([10, 20, 30, 40, 50, 60, 10]);
    expect(received[6]).toMatchObject({ accepted: 0, duplicates: 10 });
    // Acknowledged means stored.
    const call = earshot.calls.snapshot('streamed-1')!;
    const rows = await earshot.store.database.db
      .select()
      .from(liveTranscripts)
      .where(eq(liveTranscripts.liveCallId, call.liveCall._id));
    expect(rows.length).toBe(call.liveTranscripts.length);
    expect(rows.length).toBeGreaterThan(0);
    socket.close();
  });

  it('answers a bad frame with an error naming the field and keeps the socket open', async () => {
    const socket = await open('streamed-1');
    const answers = replies(socket, 3);
    socket.send('{not json');
    socket.send(
      JSON.stringify({ events: [{ type: 'audio', seq: 500, agentGain: 101, customerGain: 0 }] }),
    );
    socket.send(
      JSON.stringify({ events: [{ type: 'audio', seq: 501, agentGain: 10, customerGain: 0 }] }),
    );
    const [malformed, invalid, fine] = await answers;
    expect(malformed).toMatchObject({
      type: 'error',
      problem: { status: 400, errors: [{ field: '(frame)' }] },
    });
    expect(invalid).toMatchObject({
      type: 'error',
      problem: { status: 400, errors: [{ field: 'events.0.agentGain' }] },
    });
    expect(fine).toMatchObject({ type: 'ack', accepted: 1 });
    socket.close();
  });

  it('refuses a socket without a valid key before upgrading', async () => {
    await expect(open('streamed-1', '')).rejects.toThrow('HTTP 401');
    await expect(
      open('streamed-1', 'Bearer esk_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'),
    ).rejects.toThrow('HTTP 401');
  });

  it('refuses a bad call id in the path before upgrading, with a problem naming it', async () => {
    const refusal = await new Promise<{ status?: number; type?: string; body: string }>(
      (resolve, reject) => {
        const socket = new WebSocket(`${url}/api/v1/calls/${'x'.repeat(201)}/stream`, {
          headers: { authorization: `Bearer ${key}` },
        });
        socket.once('open', () => reject(new Error('upgraded')));
        socket.on('error', () => {}); // terminated below, before any upgrade
        socket.once('unexpected-response', (_request, response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => {
            socket.terminate();
            resolve({
              status: response.statusCode,
              type: response.headers['content-type'],
              body,
            });
          });
        });
      },
    );
    expect(refusal.status).toBe(400);
    expect(refusal.type).toContain('application/problem+json');
    expect(JSON.parse(refusal.body)).toMatchObject({ errors: [{ field: 'callId' }] });
  });

  it('applies a frame on arrival, and no more while the write backlog is over its limit, even frames read with it', async () => {
    // Commits every 300 ms, and at most 100 rows may wait for them.
    const slow = await createEarshot(
      loadConfig(
        {
          'data-dir': 'memory://',
          port: '0',
          'flush-interval-ms': '300',
          'max-write-backlog': '100',
        },
        {},
      ),
      pino({ level: 'silent' }),
    );
    try {
      const base = (await slow.listen()).replace('http', 'ws');
      const slowKey = (await slow.keys.create({ name: 'pipeline', scopes: ['ingest'] })).key;
      await slow.calls.start(startRequest('paced-1'));
      const socket = new WebSocket(`${base}/api/v1/calls/paced-1/stream`, {
        headers: { authorization: `Bearer ${slowKey}` },
      });
      await new Promise((resolve) => socket.once('open', resolve));
      const answers = replies(socket, 3);
      const gain = () => slow.calls.snapshot('paced-1')!.liveCall.agentGain;
      const audio = (seq: number, agentGain: number) => ({
        type: 'audio',
        seq,
        agentGain,
        customerGain: 0,
        currentSpeaker: 'agent',
      });
      // Frame one puts well over 100 rows behind the commit. Frame two goes in the same TCP
      // write, so the server reads both at once: it must still wait.
      const raw = (socket as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
      raw.cork();
      socket.send(JSON.stringify({ events: [...scriptedEvents(60), audio(1001, 33)] }));
      socket.send(JSON.stringify({ events: [audio(1002, 91)] }));
      raw.uncork();
      await new Promise((resolve) => setTimeout(resolve, 50));
      // Frame three comes later, after the socket stopped being read.
      socket.send(JSON.stringify({ events: [audio(1003, 55)] }));
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Frame one is live before its commit; frames two and three wait, unapplied.
      expect(slow.calls.writeBacklog).toBeGreaterThan(100);
      expect(gain()).toBe(33);
      const [first, second, third] = await answers;
      expect(first).toMatchObject({ type: 'ack', accepted: 61 });
      expect(second).toMatchObject({ type: 'ack', accepted: 1, lastSeq: 1002 });
      expect(third).toMatchObject({ type: 'ack', accepted: 1, lastSeq: 1003 });
      expect(gain()).toBe(55);
      socket.close();
    } finally {
      await slow.close();
    }
  });
});
