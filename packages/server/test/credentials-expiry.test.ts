// Credentials that stop working stop working everywhere: an expired or revoked key gets 401 on
// HTTP, and the realtime and streaming ingest sockets opened with it are closed with 4401; a
// read of the key begun before its revocation answers no check made after it. Rate limits per
// key and per user. (Sessions: sign-in.test.ts; other processes: revocation-channel.test.ts.)
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.ts';
import { ApiKeyStore } from '../src/auth/api-keys.ts';
import { createEarshot, type Earshot } from '../src/server.ts';
import { planCall, playCall } from '@earshot/simulator';
import { scriptedEvents, startRequest } from './support/scripted-call.ts';
import { signedInUser } from './support/users.ts';

describe('expired and revoked credentials', () => {
  let earshot: Earshot;
  let base: string;

  beforeAll(async () => {
    earshot = await createEarshot(
      loadConfig({ 'data-dir': 'memory://', port: '0' }, {}),
      pino({ level: 'silent' }),
      { realtime: { heartbeatMs: 200 } },
    );
    base = await earshot.listen();
  });
  afterAll(() => earshot.close());

  /** Opens a realtime socket with the key; resolves when ready, records how it closes. */
  async function connect(key: string) {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/api/v1/realtime`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
      socket.on('close', (code, reason) =>
        resolve({ code, reason: String(reason), at: Date.now() }),
      ),
    );
    await new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => {
        if (JSON.parse(String(data)).type === 'ready') resolve();
      });
      socket.once('error', reject);
    });
    return { socket, closed };
  }

  const health = (key: string) =>
    fetch(`${base}/api/v1/calls/none/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'JOIN_CALL' }),
    });

  it('closes a socket when its key expires, and refuses the key on HTTP from then on', async () => {
    const expiresAt = Date.now() + 1_500;
    const { key } = await earshot.keys.create({ name: 'short', scopes: ['monitor'], expiresAt });
    expect((await health(key)).status).toBe(404); // valid: the call just does not exist
    const { closed } = await connect(key);
    const { code, reason, at } = await closed;
    expect(code).toBe(4401);
    expect(reason).toContain('expired');
    expect(at).toBeGreaterThanOrEqual(expiresAt - 50);
    const refused = await health(key);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { detail: string }).detail).toBe('API key expired');
  });

  it('keeps a socket whose key expires in more than 24.8 days (the longest timer)', async () => {
    const { key } = await earshot.keys.create({
      name: 'long',
      scopes: ['monitor'],
      expiresAt: Date.now() + 30 * 86_400_000,
    });
    const { socket, closed } = await connect(key);
    const outcome = await Promise.race([
      closed,
      new Promise((resolve) => setTimeout(() => resolve('open'), 700)),
    ]);
    expect(outcome).toBe('open');
    socket.close();
  });

  it('closes within a heartbeat a socket whose key another process revoked', async () => {
    const { key, info } = await earshot.keys.create({ name: 'elsewhere', scopes: ['monitor'] });
    const { closed } = await connect(key);
    // A second store on the same database, as the CLI would be: no revocation event here.
    await new ApiKeyStore(earshot.store.database).revoke(info.id);
    const began = Date.now();
    expect((await closed).code).toBe(4401);
    expect(Date.now() - began).toBeLessThan(1_000); // heartbeat 200 ms, not the 30 s key cache
  });

  it('shares one read of a key among concurrent checks, and reads again only when older than asked', async () => {
    // A store that counts the reads of its database, on the server's own database.
    let reads = 0;
    const { database } = earshot.store;
    const counted = new Proxy(database.db, {
      get(target, property, receiver) {
        if (property === 'select') reads++;
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const keys = new ApiKeyStore({ db: counted, transaction: database.transaction.bind(database) });
    const { key } = await keys.create({ name: 'shared', scopes: ['monitor'] });
    reads = 0;
    // Sockets on one key re-checking on the same heartbeat share one query.
    const principals = await Promise.all(
      Array.from({ length: 50 }, () => keys.verify(key, { maxAgeMs: 0 })),
    );
    expect(principals.every((p) => p.name === 'shared')).toBe(true);
    expect(reads).toBe(1);
    await new Promise((r) => setTimeout(r, 5));
    await keys.verify(key, { maxAgeMs: 60_000 }); // the read above is young enough
    expect(reads).toBe(1);
    await keys.verify(key, { maxAgeMs: 1 }); // it is not
    expect(reads).toBe(2);
    // Concurrent checks of a wrong secret share the read and are all refused.
    const wrong = key.slice(0, -4) + (key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const refused = await Promise.allSettled(
      Array.from({ length: 5 }, () => keys.verify(wrong, { maxAgeMs: 0 })),
    );
    expect(refused.every((r) => r.status === 'rejected')).toBe(true);
    expect(reads).toBe(3);
  });

  it('remembers a key it could not find, so a client looping over it costs no query each time', async () => {
    let reads = 0;
    let now = Date.now();
    const { database } = earshot.store;
    const counted = new Proxy(database.db, {
      get(target, property, receiver) {
        if (property === 'select') reads++;
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const keys = new ApiKeyStore(
      { db: counted, transaction: database.transaction.bind(database) },
      () => now,
    );
    const unknown = `esk_${'q'.repeat(12)}_${'A'.repeat(43)}`;
    for (let i = 0; i < 20; i++)
      await expect(keys.verify(unknown)).rejects.toMatchObject({ status: 401 });
    expect(reads).toBe(1);
    // Remembered no longer than a found key would be, and a re-check that asks for a young
    // read (the socket heartbeat's) gets one.
    now += 31_000;
    await expect(keys.verify(unknown)).rejects.toMatchObject({ status: 401 });
    expect(reads).toBe(2);
    now += 2_000;
    await expect(keys.verify(unknown, { maxAgeMs: 1_000 })).rejects.toMatchObject({
      status: 401,
    });
    expect(reads).toBe(3);
  });

  it('never lets a read begun before a revocation answer a check made after it', async () => {
    // Reads of the key row run at once, but the first one's answer is held back until after
    // the revocation has committed: the race a busy database makes likely.
    const { database } = earshot.store;
    let hold: Promise<void> | undefined;
    const racing = new Proxy(database.db, {
      get(target, property, receiver) {
        if (property !== 'select') return Reflect.get(target, property, receiver) as unknown;
        type Select = (...a: unknown[]) => {
          from(table: unknown): { where(condition: unknown): PromiseLike<unknown> };
        };
        return (...args: unknown[]) => {
          const builder = (target.select as unknown as Select).apply(target, args);
          return {
            from: (table: unknown) => ({
              where: (condition: unknown) => {
                const rows = Promise.resolve(builder.from(table).where(condition));
                const wait = hold ?? Promise.resolve();
                return Promise.all([rows, wait]).then(([r]) => r);
              },
            }),
          };
        };
      },
    });
    const keys = new ApiKeyStore({ db: racing, transaction: database.transaction.bind(database) });
    const { key, info } = await keys.create({ name: 'racing', scopes: ['monitor'] });
    let release = () => {};
    hold = new Promise((resolve) => (release = resolve));
    const before = keys.verify(key, { maxAgeMs: 0 }); // reads the row as it is now
    await new Promise((resolve) => setTimeout(resolve, 50));
    hold = undefined;
    await keys.revoke(info.id);
    // A check after the revocation reads again rather than joining the read in flight (had
    // it joined, it would get that read's answer once released).
    const after = keys.verify(key, { maxAgeMs: 0 });
    setTimeout(release, 300);
    await expect(after).rejects.toThrow('API key revoked');
    await before; // began before the revocation: it may pass
    // Its stale answer is not cached for the checks after it.
    await expect(keys.verify(key)).rejects.toThrow('API key revoked');
  });

  it('closes a socket when its key is revoked', async () => {
    const { key, info } = await earshot.keys.create({ name: 'revocable', scopes: ['monitor'] });
    const { closed } = await connect(key);
    await earshot.keys.revoke(info.id);
    expect((await closed).code).toBe(4401);
    expect((await health(key)).status).toBe(401);
  });

  /** Opens a streaming ingest socket for a new call; records its answers and how it closes. */
  async function stream(key: string, callId: string) {
    await earshot.calls.start(startRequest(callId));
    const socket = new WebSocket(`${base.replace('http', 'ws')}/api/v1/calls/${callId}/stream`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const answers: Array<{ type: string; lastSeq?: number }> = [];
    socket.on('message', (data) => answers.push(JSON.parse(String(data))));
    const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
      socket.on('close', (code, reason) =>
        resolve({ code, reason: String(reason), at: Date.now() }),
      ),
    );
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const acked = async (lastSeq: number) => {
      while (!answers.some((a) => a.type === 'ack' && a.lastSeq === lastSeq))
        await new Promise((resolve) => setTimeout(resolve, 10));
    };
    return { socket, answers, closed, acked };
  }

  it('closes a streaming ingest socket when its key is revoked, and acknowledges nothing after', async () => {
    const { key, info } = await earshot.keys.create({ name: 'pipeline', scopes: ['ingest'] });
    const { socket, answers, closed, acked } = await stream(key, 'revoked-stream');
    const events = scriptedEvents(20);
    socket.send(JSON.stringify({ events: events.slice(0, 10) }));
    await acked(10);
    const accepted = earshot.calls.stats.eventsAccepted;
    await earshot.keys.revoke(info.id);
    // Sent after the revocation, before the close reached the pipeline: neither applied nor
    // acknowledged (the pipeline resends it with a valid key).
    socket.send(JSON.stringify({ events: events.slice(10) }));
    const { code, reason } = await closed;
    expect(code).toBe(4401);
    expect(reason).toBe('credentials revoked');
    expect(answers.map((a) => a.lastSeq)).toEqual([10]);
    expect(earshot.calls.stats.eventsAccepted).toBe(accepted);
  });

  it('closes a streaming ingest socket when its key expires', async () => {
    const expiresAt = Date.now() + 600;
    const { key } = await earshot.keys.create({ name: 'brief', scopes: ['ingest'], expiresAt });
    const { closed } = await stream(key, 'expiring-stream');
    const { code, reason, at } = await closed;
    expect(code).toBe(4401);
    expect(reason).toBe('credentials expired');
    expect(at).toBeGreaterThanOrEqual(expiresAt - 50);
  });

  it("tells the simulator's player why its stream closed, and it stops at once", async () => {
    const { key, info } = await earshot.keys.create({ name: 'simulator', scopes: ['ingest'] });
    const errors: string[] = [];
    const playing = playCall(planCall(7, 'played-revoked', 0), {
      baseUrl: base,
      apiKey: key,
      speed: 20,
      onError: (message) => errors.push(message),
    });
    while (!earshot.calls.snapshot('played-revoked')?.liveTranscripts.length)
      await new Promise((resolve) => setTimeout(resolve, 20));
    await earshot.keys.revoke(info.id);
    const revokedAt = Date.now();
    const stats = await playing;
    expect(Date.now() - revokedAt).toBeLessThan(2_000);
    expect(errors).toEqual([
      'played-revoked: stream closed by the server (4401 credentials revoked)',
    ]);
    expect(stats.acknowledged).toBeGreaterThan(0);
  });

  it('closes within a re-check a streaming ingest socket whose key another process revoked', async () => {
    const { key, info } = await earshot.keys.create({ name: 'elsewhere', scopes: ['ingest'] });
    const { closed } = await stream(key, 'elsewhere-stream');
    // A second store on the same database, as the CLI with the embedded database would be.
    await new ApiKeyStore(earshot.store.database).revoke(info.id);
    const began = Date.now();
    const { code, reason } = await closed;
    expect(code).toBe(4401);
    expect(reason).toBe('credentials revoked or expired');
    expect(Date.now() - began).toBeLessThan(1_000); // re-checked every 200 ms here
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After once a key spends its burst, and lets it in again later', async () => {
    const earshot = await createEarshot(
      loadConfig({ 'data-dir': 'memory://', port: '0', 'rate-limit': '2' }, {}),
      pino({ level: 'silent' }),
    );
    try {
      const base = await earshot.listen();
      const { key } = await earshot.keys.create({ name: 'busy', scopes: ['manage'] });
      const { key: other } = await earshot.keys.create({ name: 'calm', scopes: ['manage'] });
      const list = (k: string) =>
        fetch(`${base}/api/v1/campaigns`, { headers: { authorization: `Bearer ${k}` } });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await list(key)).status);
      expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]); // a burst of twice the rate
      const limited = await list(key);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(limited.headers.get('content-type')).toContain('application/problem+json');
      // Another key is not affected.
      expect((await list(other)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await list(key)).status).toBe(200);
    } finally {
      await earshot.close();
    }
  });

  it('limits each signed-in user separately, with 429 and Retry-After', async () => {
    const earshot = await createEarshot(
      loadConfig({ 'data-dir': 'memory://', port: '0', 'rate-limit': '2' }, {}),
      pino({ level: 'silent' }),
    );
    try {
      const base = await earshot.listen();
      const busy = await signedInUser(earshot, base, { username: 'busy', role: 'viewer' });
      const calm = await signedInUser(earshot, base, { username: 'calm', role: 'viewer' });
      // Spend what is left of busy's burst after signing in.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const list = (cookie: string) => fetch(`${base}/api/v1/campaigns`, { headers: { cookie } });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await list(busy.cookie)).status);
      expect(statuses).toContain(429);
      const limited = await list(busy.cookie);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await list(calm.cookie)).status).toBe(200);
    } finally {
      await earshot.close();
    }
  });
});
