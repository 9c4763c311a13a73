// GET /api/v1/metrics: Prometheus text for admins and `metrics` keys only, with counters that
// follow what the server did (events accepted and replayed, refused batches, commits, sockets
// opened and closed by code) and no call data in it.
import { CLOSE_CODES } from '@earshot/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Earshot } from '../src/server.ts';
import { listeningEarshot } from './support/earshot.ts';
import { scriptedEvents, startRequest } from './support/scripted-call.ts';
import { signedInUser } from './support/users.ts';

/** The value of one sample (`name{labels} value`), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics endpoint', () => {
  let earshot: Earshot;
  let base: string;
  let cleanup: () => Promise<void>;
  let ingestKey: string;
  let metricsKey: string;
  let monitorKey: string;

  const scrape = async (authorization = `Bearer ${metricsKey}`) => {
    const response = await fetch(`${base}/api/v1/metrics`, { headers: { authorization } });
    return { response, text: await response.text() };
  };
  const ingest = (path: string, body: unknown) =>
    fetch(`${base}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    ({ earshot, base, cleanup } = await listeningEarshot('pglite'));
    ingestKey = (await earshot.keys.create({ name: 'pipeline', scopes: ['ingest'] })).key;
    metricsKey = (await earshot.keys.create({ name: 'prometheus', scopes: ['metrics'] })).key;
    monitorKey = (await earshot.keys.create({ name: 'board', scopes: ['monitor'] })).key;
  });
  afterAll(() => cleanup());

  it('answers admins and metrics keys; 401 without credentials, 403 for other scopes and roles', async () => {
    expect((await fetch(`${base}/api/v1/metrics`)).status).toBe(401);
    const refused = await scrape(`Bearer ${monitorKey}`);
    expect(refused.response.status).toBe(403);
    expect(refused.response.headers.get('content-type')).toContain('application/problem+json');
    const { response, text } = await scrape();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    // Node's own metrics come with Earshot's.
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE nodejs_eventloop_lag_p99_seconds gauge');

    for (const role of ['admin', 'supervisor'] as const) {
      const user = await signedInUser(earshot, base, { username: `${role}-m`, role });
      const answer = await fetch(`${base}/api/v1/metrics`, { headers: { cookie: user.cookie } });
      expect(answer.status).toBe(role === 'admin' ? 200 : 403);
    }
  });

  it('counts accepted, replayed and refused events, commits, and calls by status', async () => {
    const before = (await scrape()).text;
    const accepted0 = sample(before, 'earshot_ingest_events_total{outcome="accepted"}')!;
    const commits0 = sample(before, 'earshot_commits_total')!;

    expect((await ingest('/calls', startRequest('metrics-call'))).status).toBe(201);
    const events = scriptedEvents(30);
    expect((await ingest('/calls/metrics-call/events', { events })).status).toBe(200);
    // The same batch again: every event is a replay.
    expect((await ingest('/calls/metrics-call/events', { events })).status).toBe(200);
    // A batch for a call that does not exist is refused before anything is applied.
    expect((await ingest('/calls/no-such-call/events', { events })).status).toBe(404);

    const { text } = await scrape();
    expect(sample(text, 'earshot_ingest_events_total{outcome="accepted"}')).toBe(accepted0 + 30);
    expect(sample(text, 'earshot_ingest_events_total{outcome="duplicate"}')).toBe(30);
    expect(sample(text, 'earshot_ingest_batches_refused_total')).toBe(1);
    expect(sample(text, 'earshot_commits_total')).toBeGreaterThan(commits0);
    expect(sample(text, 'earshot_commit_failures_total')).toBe(0);
    expect(sample(text, 'earshot_commit_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'earshot_write_backlog_mutations')).toBe(0);
    expect(sample(text, 'earshot_database_up')).toBe(1);
    expect(sample(text, 'earshot_database_writable')).toBe(1);
    expect(sample(text, 'earshot_live_calls{status="connected"}')).toBe(1);
    expect(sample(text, 'earshot_live_calls{status="ended"}')).toBe(0);
    expect(sample(text, 'earshot_redaction_failures_total')).toBe(0);
    // Labels are statuses and codes: no call id, customer, agent, phone or transcript. The
    // phone's digits are looked for in labels only: a sample's value may contain them by chance.
    for (const secret of ['metrics-call', 'Sam Okafor', 'Dana', '+44 7700 900123'])
      expect(text).not.toContain(secret);
    const labels = [...text.matchAll(/\{([^}]*)\}/g)].map((match) => match[1]!);
    expect(labels.length).toBeGreaterThan(0);
    for (const label of labels) expect(label).not.toMatch(/7700|900123/);
  });

  it('counts supervisor sockets, what they follow, and their closes by code', async () => {
    const url = `${base.replace('http', 'ws')}/api/v1/realtime`;
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${monitorKey}` } });
    const frames: Array<{ type: string }> = [];
    socket.on('message', (data) => frames.push(JSON.parse(String(data)) as { type: string }));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(
      JSON.stringify({
        type: 'subscribe',
        id: 'c',
        topic: { kind: 'call', callId: 'metrics-call' },
      }),
    );
    socket.send(JSON.stringify({ type: 'subscribe', id: 'w', topic: { kind: 'wallboard' } }));
    await expect.poll(() => frames.filter((f) => f.type === 'snapshot').length).toBe(2);

    const open = (await scrape()).text;
    expect(sample(open, 'earshot_realtime_connections')).toBe(1);
    expect(sample(open, 'earshot_realtime_followed_calls')).toBe(1);
    expect(sample(open, 'earshot_realtime_wallboard_followers')).toBe(1);
    expect(sample(open, 'earshot_realtime_connections_opened_total')).toBe(1);

    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.send('{not json');
    expect(await closed).toBe(CLOSE_CODES.malformedFrame);
    await expect
      .poll(async () =>
        sample((await scrape()).text, 'earshot_realtime_connections_closed_total{code="4400"}'),
      )
      .toBe(1);
    const after = (await scrape()).text;
    expect(sample(after, 'earshot_realtime_connections')).toBe(0);
    expect(sample(after, 'earshot_realtime_followed_calls')).toBe(0);
  });
});
