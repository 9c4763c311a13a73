// `npm start` as a newcomer runs it: the real entry point on the embedded database with the
// simulator on. The admin, signed in with the printed one-time password, sees the configured number of
// live calls within 15 s, each with transcripts, metrics and sentiment changing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyWallboardChanges, RealtimeClient, type SocketLike } from '@earshot/client';
import type { CallChange, WallboardChange, WallboardEntry } from '@earshot/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { createEarshot, type Earshot } from '../src/server.ts';
import { runCli, startServerProcess, type ServerProcess } from './support/server-process.ts';
import { NEW_PASSWORD, sessionCookie, signIn } from './support/users.ts';

const CALLS = 12; // the default of --simulator-calls, as `npm start` runs it

describe('the live demo (npm start)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-demo-'));
  let server: ServerProcess | undefined;
  const clients: RealtimeClient[] = [];
  afterAll(async () => {
    for (const client of clients) client.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`shows at least ${CALLS} live calls whose transcripts, metrics and sentiment change within 15 s`, async () => {
    // Exactly what `npm start` runs (node bin/earshot.js serve), on a fresh data directory.
    server = await startServerProcess(['--data-dir', dir]);
    // The first start prints the admin's one-time password; sign in, change it, and watch.
    const password = /one-time password\s+(\S+)/.exec(server.output())![1]!;
    const cookie = sessionCookie(await signIn(server.url, 'admin', password));
    const passwordChange = await fetch(`${server.url}/api/v1/session/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ currentPassword: password, newPassword: NEW_PASSWORD }),
    });
    expect(passwordChange.status).toBe(204);
    const began = Date.now();
    const url = `${server.url.replace('http', 'ws')}/api/v1/realtime`;
    const socket = (u: string) =>
      new WebSocket(u, { headers: { cookie } }) as unknown as SocketLike;

    const board = new Map<string, WallboardEntry>();
    const wallboard = new RealtimeClient({ url, socket });
    clients.push(wallboard);
    wallboard.subscribe<{ calls: WallboardEntry[] }, WallboardChange>(
      { kind: 'wallboard' },
      {
        onSnapshot: (data) => data.calls.forEach((c) => board.set(c.callId, c)),
        onDelta: (changes) => applyWallboardChanges(board, changes),
      },
    );

    // Follow every call that appears; record which tables change on it.
    const changed = new Map<string, Set<string>>();
    const followed = new Set<string>();
    const follow = setInterval(() => {
      for (const [callId, entry] of board) {
        if (followed.has(callId) || entry.status === 'ended') continue;
        followed.add(callId);
        changed.set(callId, new Set());
        const client = new RealtimeClient({ url, socket });
        clients.push(client);
        client.subscribe<unknown, CallChange>(
          { kind: 'call', callId },
          {
            onSnapshot: () => undefined,
            onDelta: (changes) => changes.forEach((c) => changed.get(callId)!.add(c.table)),
          },
        );
      }
    }, 100);

    const lively = () =>
      [...changed.values()].filter((tables) =>
        ['liveTranscripts', 'livePerformanceMetrics', 'sentimentAnalysis'].every((t) =>
          tables.has(t),
        ),
      ).length;
    while (lively() < CALLS && Date.now() - began < 15_000)
      await new Promise((r) => setTimeout(r, 200));
    clearInterval(follow);

    // On failure, show what each call did change, so the cause is visible in CI output.
    if (lively() < CALLS)
      console.log(
        [...changed.entries()]
          .map(([id, t]) => `${id} ${board.get(id)?.status} ${[...t].join(',')}`)
          .join('\n'),
      );
    expect([...board.values()].filter((c) => c.status !== 'ended').length).toBeGreaterThanOrEqual(
      CALLS,
    );
    expect(lively()).toBeGreaterThanOrEqual(CALLS);
    expect(Date.now() - began).toBeLessThan(15_000);
  });
});

describe('earshot simulate (the load CLI)', () => {
  /** Runs `test` against a server of its own on the embedded database. */
  async function withServer(test: (url: string, earshot: Earshot) => Promise<void>) {
    const earshot = await createEarshot(
      loadConfig({ 'data-dir': 'memory://', port: '0' }, {}),
      pino({ level: 'silent' }),
    );
    try {
      await test(await earshot.listen(), earshot);
    } finally {
      await earshot.close();
    }
  }
  const simulate = (url: string, key: string, ...more: string[]) =>
    runCli(['simulate', '--url', url, '--key', key, '--calls', '1', '--duration', '1', ...more]);

  it('plays calls against a server and reports every event sent as acknowledged', () =>
    withServer(async (url, earshot) => {
      const key = (await earshot.keys.create({ name: 'load', scopes: ['ingest', 'manage'] })).key;
      const output = await simulate(
        url,
        key,
        '--calls',
        '3',
        '--duration',
        '4',
        '--speed',
        '8',
        '--seed',
        '5',
      );
      const report = JSON.parse(output.trim().split('\n').at(-1)!);
      expect(report.sent).toBeGreaterThan(0);
      expect(report).toMatchObject({ acknowledged: report.sent, lost: 0, refused: 0, failed: 0 });
      expect(report.calls).toBeGreaterThanOrEqual(3);
    }));

  it('exits non-zero when the server refuses what it sends', () =>
    withServer(async (url) => {
      await expect(
        simulate(url, 'esk_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'),
      ).rejects.toThrow(/exited with 1:\s*earshot: simulate: creating campaign .*HTTP 401/);
    }));

  it('exits non-zero, counting them, when the server refuses to start its calls', () =>
    withServer(async (url, earshot) => {
      // Campaigns can be created with this key, calls cannot be started.
      const key = (await earshot.keys.create({ name: 'manage only', scopes: ['manage'] })).key;
      const failure = await simulate(url, key).then(
        () => '',
        (error: Error) => error.message,
      );
      expect(failure).toMatch(/exited with 1/);
      const report = JSON.parse(/^\{"calls".*$/m.exec(failure)![0]) as Record<string, number>;
      expect(report.refused).toBeGreaterThan(0);
      expect(report.sent).toBe(0);
    }));
});
