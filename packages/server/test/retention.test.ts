// Retention in several processes at once (PostgreSQL): the sweep runs under a database lock,
// so a second sweeper skips while the first works, and concurrent sweeps delete each call once.
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createEarshot, type Earshot } from '../src/server.ts';
import { callRows } from './support/call-rows.ts';
import { createPostgresDatabase, postgresAvailable } from './support/databases.ts';
import { T0 } from './support/earshot.ts';
import { startRequest } from './support/scripted-call.ts';

const HOUR = 60 * 60_000;

describe.skipIf(!postgresAvailable)('retention sweep across processes [postgres]', () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let a: Earshot;
  let b: Earshot;
  const clock = { now: T0 };

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const config = loadConfig({ 'database-url': database.url }, {});
    // Two servers on one database, as two processes would be.
    [a, b] = await Promise.all([
      createEarshot(config, pino({ level: 'silent' }), { clock: () => clock.now }),
      createEarshot(config, pino({ level: 'silent' }), { clock: () => clock.now }),
    ]);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await database.drop();
  });

  it('skips while another process holds the sweep lock', async () => {
    await a.calls.start(startRequest('kept-1'));
    await a.calls.end('kept-1', 'completed');
    clock.now += HOUR + 60_000;

    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    await holder.query('begin');
    await holder.query(`select pg_advisory_xact_lock(hashtext('retention-sweep'))`);
    expect(await b.calls.sweep(HOUR)).toEqual({ deleted: 0, skipped: true });
    expect((await callRows(b.store, 'kept-1')).liveCalls).toHaveLength(1);
    // A skipped pass still forgets what is past retention: the holder is deleting it.
    expect(a.calls.snapshot('kept-1')).toBeDefined();
    expect(await a.calls.sweep(HOUR)).toEqual({ deleted: 0, skipped: true });
    expect(a.calls.snapshot('kept-1')).toBeUndefined();
    expect(a.calls.liveCalls().map((call) => call.callId)).not.toContain('kept-1');
    await holder.query('commit');
    await holder.end();

    expect(await b.calls.sweep(HOUR)).toEqual({ deleted: 1, skipped: false });
    expect((await callRows(a.store, 'kept-1')).liveCalls).toHaveLength(0);
  });

  it('deletes each expired call exactly once when both sweep at the same moment', async () => {
    for (const callId of ['both-1', 'both-2', 'both-3']) {
      await a.calls.start(startRequest(callId));
      await a.calls.end(callId, 'completed');
    }
    clock.now += HOUR + 60_000;
    const results = await Promise.all([
      a.calls.sweep(HOUR),
      b.calls.sweep(HOUR),
      a.calls.sweep(HOUR),
    ]);
    expect(results.reduce((n, r) => n + r.deleted, 0)).toBe(3);
    for (const callId of ['both-1', 'both-2', 'both-3']) {
      expect((await callRows(a.store, callId)).liveCalls).toHaveLength(0);
      expect(await a.store.analytics.findByCallId(callId)).toBeDefined();
    }
  });
});
