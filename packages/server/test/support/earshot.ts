// A whole Earshot (store, write-behind, call service, HTTP app) on a fresh database of either
// kind, with a controllable clock and keys for both scopes. Requests go through app.inject.
import pino from 'pino';
import { loadConfig } from '../../src/config.ts';
import { createEarshot, type Earshot, type Overrides } from '../../src/server.ts';
import { createPostgresDatabase, type DatabaseKind } from './databases.ts';

export interface TestEarshot {
  earshot: Earshot;
  ingestKey: string;
  manageKey: string;
  clock: { now: number; advance(ms: number): void };
  /** JSON request with the ingest key unless headers say otherwise. */
  request(
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, unknown> }>;
  cleanup(): Promise<void>;
}

export const T0 = Date.parse('2026-11-23T10:00:00.000Z');

export async function startTestEarshot(
  kind: DatabaseKind,
  flags: Record<string, string> = {},
): Promise<TestEarshot> {
  const database = kind === 'postgres' ? await createPostgresDatabase() : undefined;
  const config = loadConfig(
    { 'data-dir': 'memory://', ...(database ? { 'database-url': database.url } : {}), ...flags },
    {},
  );
  const clock = {
    now: T0,
    advance(ms: number) {
      clock.now += ms;
    },
  };
  const earshot = await createEarshot(config, pino({ level: 'silent' }), {
    clock: () => clock.now,
  });
  const ingestKey = (await earshot.keys.create({ name: 'pipeline', scopes: ['ingest'] })).key;
  const manageKey = (await earshot.keys.create({ name: 'admin', scopes: ['manage'] })).key;
  return {
    earshot,
    ingestKey,
    manageKey,
    clock,
    async request(method, url, body, headers) {
      const response = await earshot.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${ingestKey}`, ...headers },
        ...(body !== undefined ? { payload: body as object } : {}),
      });
      let parsed: Record<string, unknown> = {};
      try {
        parsed = response.json();
      } catch {
        // not JSON
      }
      return { status: response.statusCode, body: parsed, headers: response.headers };
    },
    async cleanup() {
      await earshot.close();
      await database?.drop();
    },
  };
}

/** A whole Earshot listening on a free port, for tests that need real HTTP and sockets. */
export async function listeningEarshot(
  kind: DatabaseKind,
  flags: Record<string, string> = {},
  overrides: Overrides = {},
): Promise<{ earshot: Earshot; base: string; cleanup(): Promise<void> }> {
  const database = kind === 'postgres' ? await createPostgresDatabase() : undefined;
  const config = loadConfig(
    {
      'data-dir': 'memory://',
      port: '0',
      ...(database ? { 'database-url': database.url } : {}),
      ...flags,
    },
    {},
  );
  const earshot = await createEarshot(config, pino({ level: 'silent' }), overrides);
  return {
    earshot,
    base: await earshot.listen(),
    async cleanup() {
      await earshot.close();
      await database?.drop();
    },
  };
}
