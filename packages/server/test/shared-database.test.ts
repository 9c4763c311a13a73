// Several Earshot processes on one PostgreSQL database act as one on credentials.
// Revocations reach every process at once (LISTEN/NOTIFY, decision 0030): a key revoked on one
// server, or by the CLI, closes the realtime and ingest sockets opened with it on another and
// is refused there over HTTP, although that server had just verified (and cached) it; a
// sign-out closes the other server's sockets of that session. A server whose listening
// connection was lost forgets every key it had read once it is back. The heartbeat is a
// minute here, so none of this is the heartbeat's re-check. Sign-in attempts per username
// are limited across the servers, not per server.
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ApiKeyStore } from '../src/auth/api-keys.ts';
import { REVOCATION_CHANNEL } from '../src/auth/revocation-channel.ts';
import { loadConfig } from '../src/config.ts';
import { createEarshot, type Earshot } from '../src/server.ts';
import { createPostgresDatabase, postgresAvailable } from './support/databases.ts';
import { startRequest } from './support/scripted-call.ts';
import { runCli } from './support/server-process.ts';
import { signedInUser, signIn } from './support/users.ts';

describe.skipIf(!postgresAvailable)('two servers on one database [postgres]', () => {
  let database: { url: string; drop: () => Promise<void> };
  let a: Earshot;
  let b: Earshot;
  let baseA: string;
  let baseB: string;

  const start = async () => {
    const earshot = await createEarshot(
      loadConfig({ 'database-url': database.url, port: '0', 'sign-in-attempts': '4' }, {}),
      pino({ level: 'silent' }),
      { realtime: { heartbeatMs: 60_000 } },
    );
    const base = await earshot.listen();
    await earshot.revocationChannel!.ready();
    return { earshot, base };
  };

  beforeAll(async () => {
    database = await createPostgresDatabase();
    ({ earshot: a, base: baseA } = await start());
    ({ earshot: b, base: baseB } = await start());
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  /** A socket on server B; resolves once it is open (realtime: ready), with how it closes. */
  async function openOnB(path: string, headers: Record<string, string>) {
    const socket = new WebSocket(`${baseB.replace('http', 'ws')}/api/v1/${path}`, { headers });
    const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
      socket.on('close', (code, reason) =>
        resolve({ code, reason: String(reason), at: Date.now() }),
      ),
    );
    await new Promise<void>((resolve, reject) => {
      if (path !== 'realtime') socket.once('open', () => resolve());
      socket.on('message', (data) => {
        if (JSON.parse(String(data)).type === 'ready') resolve();
      });
      socket.once('error', reject);
    });
    return { socket, closed };
  }

  /** B's metrics, as Prometheus would scrape them. */
  const scrapeB = async () => {
    const { key } = await a.keys.create({ name: 'prometheus', scopes: ['metrics'] });
    const response = await fetch(`${baseB}/api/v1/metrics`, {
      headers: { authorization: `Bearer ${key}` },
    });
    return response.text();
  };

  /** An action on a call that does not exist: 404 with a valid key, 401 with a revoked one. */
  const actOnB = (headers: Record<string, string>) =>
    fetch(`${baseB}/api/v1/calls/none/actions`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'JOIN_CALL' }),
    });

  it('closes the sockets of a key revoked on another server at once, and refuses the key there', async () => {
    const monitor = await a.keys.create({ name: 'wallboard screen', scopes: ['monitor'] });
    const ingest = await a.keys.create({ name: 'pipeline', scopes: ['ingest'] });
    const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
    // B verifies both keys now, and would trust its reads of them for 30 s.
    expect((await actOnB(bearer(monitor.key))).status).toBe(404);
    await b.calls.start(startRequest('across-1'));
    const watching = await openOnB('realtime', bearer(monitor.key));
    const streaming = await openOnB('calls/across-1/stream', bearer(ingest.key));

    const began = Date.now();
    await a.keys.revoke(monitor.info.id);
    await a.keys.revoke(ingest.info.id);
    const [watchClosed, streamClosed] = await Promise.all([watching.closed, streaming.closed]);
    expect(watchClosed).toMatchObject({ code: 4401, reason: 'credentials revoked' });
    expect(streamClosed).toMatchObject({ code: 4401, reason: 'credentials revoked' });
    expect(Math.max(watchClosed.at, streamClosed.at) - began).toBeLessThan(2_000);
    expect((await actOnB(bearer(monitor.key))).status).toBe(401);
  });

  it('carries a revocation made by the CLI to a running server', async () => {
    const { key, info } = await a.keys.create({ name: 'kiosk', scopes: ['monitor'] });
    const { closed } = await openOnB('realtime', { authorization: `Bearer ${key}` });
    await runCli(['keys', 'revoke', info.id, '--database-url', database.url]);
    expect(await closed).toMatchObject({ code: 4401, reason: 'credentials revoked' });
  });

  it('closes the sockets on another server of a session signed out on one', async () => {
    const user = await signedInUser(a, baseA, { username: 'sam', role: 'supervisor' });
    const { closed } = await openOnB('realtime', { cookie: user.cookie, origin: baseB });
    const signedOut = await fetch(`${baseA}/api/v1/session`, {
      method: 'DELETE',
      headers: { cookie: user.cookie, origin: baseA },
    });
    expect(signedOut.status).toBe(204);
    expect(await closed).toMatchObject({ code: 4401, reason: 'credentials revoked' });
  });

  it('forgets every key it had read once its lost listening connection is back', async () => {
    const { key, info } = await a.keys.create({ name: 'screen', scopes: ['monitor'] });
    expect((await actOnB({ authorization: `Bearer ${key}` })).status).toBe(404); // cached on B
    // Every server's listening connection drops (as in a database failover).
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and query ilike $1`,
      [`listen ${REVOCATION_CHANNEL}`],
    );
    await admin.end();
    while (b.revocationChannel!.listening) await new Promise((r) => setTimeout(r, 10));
    expect(await scrapeB()).toContain('earshot_revocation_channel_up 0');
    // Revoked while no one listens (a store that announces nothing): B cannot hear of it.
    await new ApiKeyStore(a.store.database).revoke(info.id);
    await b.revocationChannel!.ready();
    expect((await actOnB({ authorization: `Bearer ${key}` })).status).toBe(401);
    expect(await scrapeB()).toContain('earshot_revocation_channel_up 1');
  });

  it('limits sign-in attempts per username across the servers, keeping no username', async () => {
    const attempt = (base: string, i: number) => signIn(base, 'victim', `guess ${i}`);
    const statuses: number[] = [];
    // 4 attempts a minute per username: alternating servers shares one budget.
    for (let i = 0; i < 6; i++) statuses.push((await attempt(i % 2 ? baseA : baseB, i)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    // Another username has its own budget.
    expect((await signIn(baseA, 'someone-else', 'guess')).status).toBe(401);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const { rows } = await admin.query('select * from rate_limit_buckets');
    await admin.end();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(rows)).not.toMatch(/victim|someone/);
  });
});
