// The embedded database on its own thread: statements run there, not on the main thread; its
// one connection keeps a transaction to itself; a crash of the thread is reported, and what
// the callers see meanwhile is "unavailable" (503), as when PostgreSQL is down.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { untilShutdown } from '../src/cli.ts';
import { loadConfig } from '../src/config.ts';
import { createEarshot } from '../src/server.ts';
import { openDatabase } from '../src/store/database.ts';
import { isUnavailable } from '../src/store/database-errors.ts';
import { removeStaleSocketDirs, startPgliteThread } from '../src/store/pglite-thread.ts';
import pg from 'pg';
import { scriptedEvents, startRequest } from './support/scripted-call.ts';

describe('the embedded database thread', () => {
  it('runs a statement without holding up the main thread', async () => {
    const database = await openDatabase({ kind: 'pglite', dataDir: undefined });
    try {
      let ticks = 0;
      const timer = setInterval(() => (ticks += 1), 10);
      const started = performance.now();
      await database.db.execute(sql`select pg_sleep(0.4)`);
      clearInterval(timer);
      expect(performance.now() - started).toBeGreaterThanOrEqual(390);
      // On the main thread the WASM statement would hold the event loop: no tick at all.
      expect(ticks).toBeGreaterThanOrEqual(10);
    } finally {
      await database.close();
    }
  });

  it('keeps a transaction to itself: other statements wait for it and never see it', async () => {
    const database = await openDatabase({ kind: 'pglite', dataDir: undefined });
    try {
      await database.db.execute(sql`create table numbers (n int)`);
      let committed = false;
      const transaction = database
        .transaction(async (tx) => {
          await tx.execute(sql`insert into numbers values (1)`);
          await new Promise((resolve) => setTimeout(resolve, 100));
          throw new Error('changed my mind');
        })
        .catch((error: Error) => error.message);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const counted = database.db
        .execute(sql`select count(*)::int as n from numbers`)
        .then((result) => {
          committed = true;
          return (result as unknown as { rows: Array<{ n: number }> }).rows[0]!.n;
        });
      expect(await transaction).toBe('changed my mind');
      expect(await counted).toBe(0);
      expect(committed).toBe(true);
    } finally {
      await database.close();
    }
  });

  it('keeps its data in a directory across a close and a reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'earshot-pglite-test-'));
    try {
      const first = await openDatabase({ kind: 'pglite', dataDir: dir });
      await first.db.execute(sql`create table kept (word text)`);
      await first.db.execute(sql`insert into kept values ('still here')`);
      await first.close();
      const second = await openDatabase({ kind: 'pglite', dataDir: dir });
      const result = await second.db.execute(sql`select word from kept`);
      expect((result as unknown as { rows: unknown[] }).rows).toEqual([{ word: 'still here' }]);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a crash of the thread, and answers "unavailable" from then on', async () => {
    const thread = await startPgliteThread(undefined);
    const client = new pg.Client(thread.connection);
    await client.connect();
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    client.on('error', () => undefined);
    await thread.worker.terminate();
    expect((await thread.lost).message).toMatch(
      /^The embedded database thread exited \(code \d+\)$/,
    );
    const failure = await client.query('select 1').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isUnavailable(failure)).toBe(true);
    const reconnect = await new pg.Client(thread.connection).connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isUnavailable(reconnect)).toBe(true);
    await thread.close();
  });

  it('counts a missing socket as unavailable, and no other missing file', async () => {
    const missingSocket = await new pg.Client({ host: '/nonexistent-earshot-socket-dir' })
      .connect()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(missingSocket).toMatchObject({ code: 'ENOENT', syscall: 'connect' });
    expect(isUnavailable(missingSocket)).toBe(true);
    const missingFile = await readFile('/nonexistent-earshot-file').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(missingFile).toMatchObject({ code: 'ENOENT' });
    expect(isUnavailable(missingFile)).toBe(false);
  });

  it('removes the socket directories of processes that are gone (a kill -9 leaves one)', async () => {
    // A process that has exited: its pid is free.
    const child = spawn(process.execPath, ['-e', '0']);
    const deadPid = child.pid!;
    await new Promise((resolve) => child.once('exit', resolve));
    const parent = await mkdtemp(join(tmpdir(), 'earshot-stale-'));
    try {
      const stale = `earshot-db-${deadPid}-abc123`;
      const mine = `earshot-db-${process.pid}-def456`;
      for (const name of [stale, mine, 'earshot-db-old789', 'unrelated'])
        await mkdir(join(parent, name));
      await writeFile(join(parent, stale, '.s.PGSQL.5432'), '');
      expect(removeStaleSocketDirs(parent)).toEqual([stale]);
      expect((await readdir(parent)).sort()).toEqual(
        ['earshot-db-old789', mine, 'unrelated'].sort(),
      );
    } finally {
      await rm(parent, { recursive: true, force: true });
    }

    // Starting the thread sweeps the real temporary directory and names its own by pid.
    const leftBehind = join(tmpdir(), `earshot-db-${deadPid}-zzz999`);
    await mkdir(leftBehind);
    const thread = await startPgliteThread(undefined);
    try {
      expect((await readdir(tmpdir())).includes(basename(leftBehind))).toBe(false);
      expect(basename(thread.connection.host)).toMatch(new RegExp(`^earshot-db-${process.pid}-`));
    } finally {
      await thread.close();
    }
  });

  it('never reports a clean close as a crash', async () => {
    const thread = await startPgliteThread(undefined);
    let lost: Error | undefined;
    void thread.lost.then((error) => (lost = error));
    await thread.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lost).toBeUndefined();
  });

  it('ends `earshot serve` with code 1 when the thread dies, answering 503 until then', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => void lines.push(JSON.parse(line)) },
    );
    const earshot = await createEarshot(
      loadConfig({ 'data-dir': 'memory://', port: '0', 'simulator-calls': '0' }, {}),
      logger,
    );
    const base = await earshot.listen();
    const key = (await earshot.keys.create({ name: 'pipeline', scopes: ['ingest'] })).key;
    await earshot.calls.start(startRequest('lost-1'));
    let checked: () => void = () => undefined;
    const exitCode = untilShutdown(earshot, logger, async () => {
      await new Promise<void>((resolve) => (checked = resolve));
      await earshot.close();
    });

    await earshot.store.database.thread!.terminate();
    expect((await earshot.fatal).message).toMatch(
      /^The embedded database thread exited \(code \d+\)$/,
    );
    const refused = await fetch(`${base}/api/v1/calls/lost-1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: scriptedEvents(1) }),
    });
    expect(refused.status).toBe(503);
    checked();
    expect(await exitCode).toBe(1);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'fatal failure; shutting down to be restarted' }),
    );
  });
});
