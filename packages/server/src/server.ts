// Assembles Earshot: store (with migrations), write-behind, call service (restored from the
// store), background services and the HTTP app. Shutdown order matters: stop accepting,
// drain what was accepted, stop services, then close the store.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ApiKeyStore } from './auth/api-keys.ts';
import type { Config } from './config.ts';
import { buildApp } from './http/app.ts';
import { CallService } from './ingest/call-service.ts';
import { RetentionSweeper } from './jobs/retention-sweeper.ts';
import type { Timers } from './jobs/service.ts';
import { WriteBehind } from './jobs/write-behind.ts';
import { MutationStore } from './store/mutation-store.ts';
import { openStore, type DatabaseTarget, type Store } from './store/index.ts';

export interface Earshot {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly calls: CallService;
  readonly keys: ApiKeyStore;
  readonly writer: WriteBehind;
  readonly sweeper: RetentionSweeper;
  /** Listens on the configured host and port; resolves to the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface Overrides {
  clock?: () => number;
  timers?: Timers;
}

export function databaseTarget(config: Config): DatabaseTarget {
  return config.databaseUrl
    ? { kind: 'postgres', url: config.databaseUrl, poolSize: config.databasePoolSize }
    : { kind: 'pglite', dataDir: config.dataDir };
}

export async function createEarshot(
  config: Config,
  logger: Logger,
  overrides: Overrides = {},
): Promise<Earshot> {
  const clock = overrides.clock ?? Date.now;
  const target = databaseTarget(config);
  logger.info(
    { database: target.kind, dataDir: target.kind === 'pglite' ? target.dataDir : undefined },
    'opening database',
  );
  const store = await openStore(target);
  const mutations = new MutationStore(store.database.db);
  const writer = new WriteBehind({
    commit: (batch) => mutations.commit(batch),
    logger,
    flushIntervalMs: config.flushIntervalMs,
    ...(overrides.timers ? { timers: overrides.timers } : {}),
  });
  const calls = new CallService({ store, writer, logger, clock });
  const restored = await calls.load();
  if (restored > 0) logger.info({ calls: restored }, 'restored calls from the store');
  const keys = new ApiKeyStore(store.database.db, clock);
  const sweeper = new RetentionSweeper({
    calls,
    logger,
    intervalMs: config.sweepIntervalSeconds * 1000,
    retentionMs: config.retentionMinutes * 60_000,
    staleAfterMs: config.staleAfterSeconds * 1000,
    ...(overrides.timers ? { timers: overrides.timers } : {}),
  });
  const app = await buildApp({ store, calls, keys, logger, clock, bodyLimit: config.maxBodyBytes });
  writer.start();
  sweeper.start();

  let closed = false;
  return {
    app,
    store,
    calls,
    keys,
    writer,
    sweeper,
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      return `http://${config.host}:${port}`;
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close(); // stops accepting; in-flight requests finish
      await sweeper.drain();
      await writer.drain(); // every accepted write is committed (unless the database is gone)
      await sweeper.stop();
      await writer.stop();
      await store.close();
    },
  };
}
