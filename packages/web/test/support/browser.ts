// Debian's Chromium driven by playwright-core, and a real Earshot (server, database, built
// console) for the browser to talk to. Without Chromium the browser suites skip with a
// message, except in CI, where its absence is a failure.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Role } from '@earshot/protocol';
import { chromium, type Browser, type Page } from 'playwright-core';
import pino from 'pino';
import { build } from 'vite';
import { loadConfig } from '../../../server/src/config.ts';
import { createEarshot, type Earshot } from '../../../server/src/server.ts';
import {
  createPostgresDatabase,
  postgresAvailable,
} from '../../../server/test/support/databases.ts';

export const CHROMIUM = process.env.EARSHOT_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);
if (!chromiumAvailable && process.env.CI) {
  throw new Error(`CI requires Chromium at ${CHROMIUM} (apt-get install chromium)`);
}
if (!chromiumAvailable) {
  console.warn(
    `[earshot] browser suites skipped: no Chromium at ${CHROMIUM}. ` +
      'Install it (apt-get install chromium) or set EARSHOT_CHROMIUM.',
  );
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Builds the console into packages/web/dist, as `npm start` does. */
export async function buildConsole(): Promise<void> {
  // Vite builds React's development bundle when NODE_ENV says so (vitest sets "test").
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: fileURLToPath(new URL('../../vite.config.ts', import.meta.url)),
      mode: 'production',
      logLevel: 'warn',
    });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}

const READY_PASSWORD = 'correct horse battery staple';

/** Signs in through the console's form, as a person would. */
export async function signInThroughForm(
  page: Page,
  username: string,
  password: string,
): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export interface ConsoleServer {
  earshot: Earshot;
  base: string;
  ingestKey: string;
  database: 'postgres' | 'pglite';
  /**
   * A user who has already replaced their one-time password: signs in with the password
   * returned. Supervisors and viewers see the campaigns named (by name).
   */
  user(
    username: string,
    displayName: string,
    role: Role,
    campaignNames?: string[],
  ): Promise<string>;
  /** A JSON request with the ingest key. */
  send(method: 'POST', path: string, body: unknown): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Earshot on PostgreSQL when there is one (always in CI), else on in-memory PGlite. */
export async function startConsoleServer(
  flags: Record<string, string> = {},
): Promise<ConsoleServer> {
  const postgres = postgresAvailable ? await createPostgresDatabase() : undefined;
  const config = loadConfig(
    {
      'data-dir': 'memory://',
      port: '0',
      ...(postgres ? { 'database-url': postgres.url } : {}),
      ...flags,
    },
    {},
  );
  const earshot = await createEarshot(config, pino({ level: 'silent' }));
  const base = await earshot.listen();
  const ingestKey = (await earshot.keys.create({ name: 'pipeline', scopes: ['ingest', 'manage'] }))
    .key;
  return {
    earshot,
    base,
    ingestKey,
    database: postgres ? 'postgres' : 'pglite',
    async user(username, displayName, role, campaignNames = []) {
      const campaignIds: string[] = [];
      for (const name of campaignNames)
        campaignIds.push((await earshot.store.campaigns.findByName(name))!._id);
      const { user, password } = await earshot.users.create({
        username,
        displayName,
        role,
        campaignIds,
      });
      await earshot.users.changePassword(user.id, password, READY_PASSWORD);
      return READY_PASSWORD;
    },
    async send(method, path, body) {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await response.json()) as Record<string, unknown>;
      if (!response.ok)
        throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    },
    async close() {
      await earshot.close();
      await postgres?.drop();
    },
  };
}
