// The live calls on their own worker thread (--engine-thread, PostgreSQL): the same API,
// errors and acknowledgements as on the main thread, the thread's log lines in the main log,
// and calls restored by the thread after a restart. Snapshot-and-stream contiguity and
// resume on the engine thread are in realtime.test.ts.
import { EarshotError } from '@earshot/protocol';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { untilShutdown } from '../src/cli.ts';
import { loadConfig } from '../src/config.ts';
import { CallThread } from '../src/ingest/call-thread.ts';
import { createEarshot, type Earshot } from '../src/server.ts';
import { liveTranscripts } from '../src/store/schema.ts';
import { byId } from './support/call-rows.ts';
import { createPostgresDatabase, postgresAvailable } from './support/databases.ts';
import { scriptedEvents, startRequest } from './support/scripted-call.ts';

describe('the engine thread setting', () => {
  it('is refused without PostgreSQL, naming the flag', () => {
    expect(() => loadConfig({ 'engine-thread': true }, {})).toThrow(EarshotError);
    try {
      loadConfig({ 'engine-thread': true }, {});
    } catch (error) {
      expect((error as EarshotError).fields).toEqual([
        {
          field: '--engine-thread (EARSHOT_ENGINE_THREAD)',
          message: 'Needs PostgreSQL (--database-url): the embedded database serves one thread',
        },
      ]);
    }
  });
});

describe('calls on the engine thread', () => {
  let database: { url: string; drop(): Promise<void> };
  const open: Earshot[] = [];
  const lines: Array<Record<string, unknown>> = [];

  beforeEach(async (context) => {
    if (!postgresAvailable) return context.skip();
    database = await createPostgresDatabase();
  });
  afterEach(async () => {
    for (const earshot of open.splice(0)) await earshot.close();
    await database?.drop();
    lines.length = 0;
  });

  async function start(): Promise<{
    earshot: Earshot;
    base: string;
    key: string;
    logger: pino.Logger;
  }> {
    const config = loadConfig(
      { 'database-url': database.url, 'engine-thread': true, port: '0' },
      {},
    );
    // A logger that keeps its lines, to see the thread's lines arrive here.
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => void lines.push(JSON.parse(line)) },
    );
    const earshot = await createEarshot(config, logger);
    open.push(earshot);
    const base = await earshot.listen();
    const key = (await earshot.keys.create({ name: 'pipeline', scopes: ['ingest'] })).key;
    return { earshot, base, key, logger };
  }

  it('runs the calls on a worker thread: acknowledged frames are committed, refused ones name the field', async () => {
    const { earshot, base, key } = await start();
    expect(earshot.calls).toBeInstanceOf(CallThread);
    expect(earshot.writer).toBeUndefined(); // the write-behind is the thread's
    const started = await fetch(`${base}/api/v1/calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(startRequest('threaded-1')),
    });
    expect(started.status).toBe(201);

    const socket = new WebSocket(`${base.replace('http', 'ws')}/api/v1/calls/threaded-1/stream`, {
      headers: { authorization: `Bearer ${key}` },
    });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const answers: Array<Record<string, unknown>> = [];
    socket.on('message', (data) => answers.push(JSON.parse(data.toString())));
    const events = scriptedEvents(40);
    for (let i = 0; i < 40; i += 10)
      socket.send(JSON.stringify({ events: events.slice(i, i + 10) }));
    socket.send('{not json');
    socket.send(JSON.stringify({ events: [{ type: 'transcript', seq: 41, text: 'x' }] }));
    const deadline = Date.now() + 10_000;
    while (answers.length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    socket.close();

    expect(answers.slice(0, 4).map((a) => a.type)).toEqual(['ack', 'ack', 'ack', 'ack']);
    expect(answers[3]).toMatchObject({ type: 'ack', accepted: 10, lastSeq: 40 });
    // Acknowledged means committed: the thread's rows are in the database the main thread reads.
    const call = earshot.calls.snapshot('threaded-1')!.liveCall;
    const stored = await earshot.store.database.db
      .select({ id: liveTranscripts._id })
      .from(liveTranscripts)
      .where(eq(liveTranscripts.liveCallId, call._id));
    expect(stored.length).toBe(earshot.calls.snapshot('threaded-1')!.liveTranscripts.length);
    expect(stored.length).toBeGreaterThan(0);
    // Errors cross the thread as the same problems, naming the field.
    expect(answers[4]).toMatchObject({
      type: 'error',
      problem: { status: 400, errors: [{ field: '(frame)', message: 'Malformed JSON' }] },
    });
    expect(answers[5]).toMatchObject({ type: 'error', problem: { status: 400 } });
    const problem = answers[5]!.problem as { errors: Array<{ field: string }> };
    expect(problem.errors.map((e) => e.field)).toContain('events.0.speaker');
    await expect(earshot.calls.ingest('no-such-call', events.slice(0, 1))).rejects.toMatchObject({
      name: 'EarshotError',
      kind: 'not_found',
    });
    const conflict = await fetch(`${base}/api/v1/calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...startRequest('threaded-1'), agentName: 'Someone Else' }),
    });
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { errors: unknown }).errors).toEqual([
      { field: 'callId', message: 'Already started with different details' },
    ]);
    // The thread's counters reach the main thread (for /metrics) with its replies.
    expect(earshot.calls.stats).toMatchObject({
      eventsAccepted: 40,
      eventsDuplicate: 0,
      batchesRefused: 3, // the malformed frame, the invalid event, the unknown call
      failedCommits: 0,
    });
    expect(earshot.calls.stats.commits).toBeGreaterThan(0);
  });

  it('takes an action once per Idempotency-Key on the thread, even sent twice at once on a call just started', async () => {
    const { earshot, base, key } = await start();
    const monitorKey = (await earshot.keys.create({ name: 'Ada', scopes: ['monitor'] })).key;
    const post = (path: string, body: unknown, headers: Record<string, string>) =>
      fetch(`${base}/api/v1${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    await post('/calls', startRequest('thread-act'), { authorization: `Bearer ${key}` });
    // The id comes from the thread's own call, not the main thread's copy (which may lag).
    const act = () =>
      post(
        '/calls/thread-act/actions',
        { action: 'TRANSFER_CALL', details: 'billing' },
        { authorization: `Bearer ${monitorKey}`, 'idempotency-key': 'transfer-1' },
      );
    const answers = await Promise.all([act(), act()]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 201]);
    const [a, b] = (await Promise.all(answers.map((answer) => answer.json()))) as Array<{
      action: { _id: string };
    }>;
    expect(a!.action._id).toBe(b!.action._id);
    const again = await act();
    expect(again.status).toBe(200);
    await earshot.calls.flush();
    expect(earshot.calls.snapshot('thread-act')!.supervisorActions).toHaveLength(1);
  });

  it('restores the calls on the thread after a restart, and its log lines reach the main log', async () => {
    const first = await start();
    await first.earshot.calls.start(startRequest('kept-1'));
    await first.earshot.calls.ingest('kept-1', scriptedEvents(60));
    // An ended call is restored with its start's hash alone; its events are answered from the log.
    await first.earshot.calls.start(startRequest('over-1'));
    await first.earshot.calls.ingest('over-1', scriptedEvents(20));
    await first.earshot.calls.end('over-1', 'completed');
    const before = first.earshot.calls.snapshot('kept-1');
    await first.earshot.close();
    open.splice(0);

    const second = await start();
    // The same call, its lists in the database's order.
    expect(byId(second.earshot.calls.snapshot('kept-1')!)).toEqual(byId(before!));
    expect(
      second.earshot.hub
        .wallboardEntries(undefined)
        .map((e) => e.callId)
        .sort(),
    ).toEqual(['kept-1', 'over-1']);
    expect(await second.earshot.calls.start(startRequest('over-1'))).toMatchObject({
      created: false,
    });
    await expect(
      second.earshot.calls.start({ ...startRequest('over-1'), agentName: 'Someone Else' }),
    ).rejects.toMatchObject({ kind: 'conflict' });
    expect(await second.earshot.calls.ingest('over-1', scriptedEvents(20))).toMatchObject({
      accepted: 0,
      duplicates: 20,
    });
    expect(lines).toContainEqual(
      // The thread reads every call back, ended ones included, before the server serves.
      expect.objectContaining({ msg: 'restored calls from the store', live: 1, ended: 1 }),
    );
    // Still live: more events apply on top of the restored state.
    await second.earshot.calls.ingest('kept-1', scriptedEvents(80).slice(60));
    expect(second.earshot.calls.snapshot('kept-1')!.liveTranscripts.length).toBeGreaterThan(
      before!.liveTranscripts.length,
    );
  });

  it('reports a crash of the thread as fatal, answers 503 meanwhile, and a restart loses nothing acknowledged', async () => {
    const first = await start();
    await first.earshot.calls.start(startRequest('crashed-1'));
    await first.earshot.calls.ingest('crashed-1', scriptedEvents(30));
    // What `earshot serve` does with it; its shutdown waits here until the 503 is seen.
    let checked: () => void = () => undefined;
    const exitCode = untilShutdown(first.earshot, first.logger, async () => {
      await new Promise<void>((resolve) => (checked = resolve));
      await first.earshot.close(); // shuts down cleanly with the thread gone
    });

    // A crash, as the thread would see one: it stops without being asked to.
    await (
      first.earshot.calls as unknown as { worker: { terminate(): Promise<number> } }
    ).worker.terminate();
    expect((await first.earshot.fatal).message).toMatch(/^The call thread exited \(code \d+\)$/);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'call thread exited; ingest is unavailable' }),
    );
    const refused = await fetch(`${first.base}/api/v1/calls/crashed-1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: scriptedEvents(31).slice(30) }),
    });
    expect(refused.status).toBe(503);
    checked();
    expect(await exitCode).toBe(1);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'fatal failure; shutting down to be restarted' }),
    );
    open.splice(0);

    // The restart `earshot serve` exits for: every acknowledged event is there.
    const second = await start();
    expect(second.earshot.calls.snapshot('crashed-1')!.liveCall.callId).toBe('crashed-1');
    const ack = await second.earshot.calls.ingest('crashed-1', scriptedEvents(31));
    expect(ack).toMatchObject({ accepted: 1, duplicates: 30 });
  });

  it('never reports a clean close as fatal', async () => {
    const { earshot } = await start();
    let fatal: Error | undefined;
    void earshot.fatal.then((error) => (fatal = error));
    await earshot.close();
    open.splice(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fatal).toBeUndefined();
  });
});
