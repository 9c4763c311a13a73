// Assembles Earshot: store (with migrations), write-behind, call service (restored from the
// store), background services and the HTTP app. Shutdown order matters: stop accepting,
// drain what was accepted, stop services, then close the store.
import { fileURLToPath } from 'node:url';
import type { EngineContext } from '@earshot/engine';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ApiKeyStore } from './auth/api-keys.ts';
import { AuditLog } from './auth/audit-log.ts';
import { RevocationChannel } from './auth/revocation-channel.ts';
import { Revocations } from './auth/revocations.ts';
import { UserStore } from './auth/users.ts';
import { RateLimiter } from './auth/rate-limiter.ts';
import { SharedRateLimiter } from './auth/shared-rate-limiter.ts';
import type { Config } from './config.ts';
import { buildApp } from './http/app.ts';
import type { CallHost } from './ingest/call-host.ts';
import { openCallService } from './ingest/call-service.ts';
import { CallThread } from './ingest/call-thread.ts';
import { LlmAdvisor } from './jobs/llm-advisor.ts';
import { MetricsTicker } from './jobs/metrics-ticker.ts';
import { OutboxDispatcher } from './jobs/outbox-dispatcher.ts';
import { RetentionSweeper } from './jobs/retention-sweeper.ts';
import type { Timers } from './jobs/service.ts';
import type { WriteBehind } from './jobs/write-behind.ts';
import { InProcessBus, type RealtimeBus } from './realtime/bus.ts';
import { Hub } from './realtime/hub.ts';
import type { RealtimeOptions } from './realtime/realtime-routes.ts';
import { openStore, type DatabaseTarget, type Store } from './store/index.ts';

/** The console's build output (`npm run build:web`), served at /. */
const CONSOLE_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url));

export interface Earshot {
  readonly app: FastifyInstance;
  readonly store: Store;
  /** The live calls: on this thread, or on their own worker thread (--engine-thread). */
  readonly calls: CallHost;
  readonly keys: ApiKeyStore;
  readonly users: UserStore;
  readonly audit: AuditLog;
  /** The write-behind, when the calls run on this thread (undefined with --engine-thread). */
  readonly writer: WriteBehind | undefined;
  readonly sweeper: RetentionSweeper;
  readonly ticker: MetricsTicker;
  /** Present when --llm-url is set. */
  readonly advisor: LlmAdvisor | undefined;
  /** Present when --platform-webhook-url is set. */
  readonly dispatcher: OutboxDispatcher | undefined;
  readonly bus: RealtimeBus;
  readonly hub: Hub;
  /** With PostgreSQL: revocations to and from the other processes on the database. */
  readonly revocationChannel: RevocationChannel | undefined;
  /**
   * Settles if the server can no longer take work and only a restart would help: the call
   * thread (--engine-thread) or the embedded database's thread stopped. Otherwise never.
   */
  readonly fatal: Promise<Error>;
  /** Listens on the configured host and port; resolves to the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface Overrides {
  clock?: () => number;
  /** Timers of the periodic services (ticker, sweeper); the write-behind keeps real ones. */
  timers?: Timers;
  /** Realtime connection limits (tests make them small). */
  realtime?: Pick<RealtimeOptions, 'session' | 'heartbeatMs' | 'helloTimeoutMs' | 'closeGraceMs'>;
  /** The redaction stage (tests make it fail to show that it fails closed). */
  redact?: EngineContext['redact'];
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
  const bus = new InProcessBus();
  let writer: WriteBehind | undefined;
  let calls: CallHost;
  if (config.engineThread) {
    if (overrides.clock || overrides.redact)
      throw new Error('A clock or redact override needs the calls on the main thread');
    calls = await CallThread.open(
      {
        target,
        flushIntervalMs: config.flushIntervalMs,
        platformConfigured: config.platformWebhookUrl !== undefined,
        logLevel: logger.level,
      },
      bus,
      logger,
    );
  } else {
    const opened = await openCallService({
      store,
      bus,
      logger,
      clock,
      flushIntervalMs: config.flushIntervalMs,
      platformConfigured: config.platformWebhookUrl !== undefined,
      ...(overrides.redact ? { redact: overrides.redact } : {}),
    });
    writer = opened.writer;
    calls = opened.calls;
  }
  const hub = new Hub(bus, calls, {
    callHistory: config.realtimeHistory,
    wallboardHistory: config.realtimeHistory * 20,
  });
  const revocations = new Revocations();
  const revocationChannel =
    target.kind === 'postgres'
      ? new RevocationChannel({ url: target.url, database: store.database, revocations, logger })
      : undefined;
  const keys = new ApiKeyStore(store.database, clock, revocations);
  const users = new UserStore(store.database, {
    clock,
    sessionMs: config.sessionHours * 3_600_000,
    revocations,
  });
  const audit = new AuditLog(store.database.db, clock, logger);
  // Per username and per user, across every process on the database (wall-clock time: a
  // limit is about real attempt rates).
  const signInLimiter = new SharedRateLimiter(
    store.database.db,
    config.signInAttempts / 60,
    config.signInAttempts,
  );
  const sweeper = new RetentionSweeper({
    calls,
    sessions: users,
    limits: signInLimiter,
    logger,
    intervalMs: config.sweepIntervalSeconds * 1000,
    retentionMs: config.retentionMinutes * 60_000,
    staleAfterMs: config.staleAfterSeconds * 1000,
    ...(overrides.timers ? { timers: overrides.timers } : {}),
  });
  const ticker = new MetricsTicker({
    calls,
    logger,
    intervalMs: config.metricsIntervalSeconds * 1000,
    ...(overrides.timers ? { timers: overrides.timers } : {}),
  });
  const advisor = config.llmUrl
    ? new LlmAdvisor({
        url: config.llmUrl,
        apiKey: config.llmApiKey,
        model: config.llmModel,
        intervalMs: config.llmIntervalSeconds * 1000,
        timeoutMs: config.llmTimeoutSeconds * 1000,
        bus,
        calls,
        logger,
        clock,
      })
    : undefined;
  const dispatcher =
    config.platformWebhookUrl && config.platformWebhookSecret
      ? new OutboxDispatcher({
          store,
          calls,
          logger,
          url: config.platformWebhookUrl,
          secret: config.platformWebhookSecret,
          clock,
        })
      : undefined;
  const app = await buildApp({
    store,
    calls,
    keys,
    users,
    audit,
    revocations,
    revocationChannel,
    hub,
    logger,
    clock,
    bodyLimit: config.maxBodyBytes,
    trustProxy: config.trustProxy,
    maxWriteBacklog: config.maxWriteBacklog,
    // Wall-clock time, not the injected clock: a limit is about real request rates.
    limiter: new RateLimiter(config.rateLimit, config.rateLimit * 2),
    signInLimiter,
    // About what the password hashing can do on two cores; beyond it, 429 rather than a queue.
    signInCeiling: new RateLimiter(
      config.signInAttempts > 0 ? 20 : 0,
      config.signInAttempts > 0 ? 40 : 0,
    ),
    consoleRoot: CONSOLE_ROOT,
    allowedOrigins: config.allowedOrigins,
    ...(overrides.realtime ? { realtime: overrides.realtime } : {}),
  });
  writer?.start();
  revocationChannel?.start();
  sweeper.start();
  ticker.start();
  advisor?.start();
  dispatcher?.start();

  let closed = false;
  return {
    app,
    store,
    calls,
    keys,
    users,
    audit,
    writer,
    sweeper,
    ticker,
    advisor,
    dispatcher,
    bus,
    hub,
    revocationChannel,
    fatal: Promise.race([
      store.database.lost,
      ...(calls instanceof CallThread ? [calls.lost] : []),
    ]),
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      return `http://${config.host}:${port}`;
    },
    async close() {
      if (closed) return;
      closed = true;
      // Stop accepting; in-flight requests finish; open sockets are told the server is going away.
      for (const client of app.websocketServer?.clients ?? [])
        client.close(1001, 'server shutting down');
      await app.close();
      hub.close();
      await advisor?.drain();
      await dispatcher?.drain();
      await ticker.drain();
      await sweeper.drain();
      await calls.drain(); // every accepted write is committed (unless the database is gone)
      await revocationChannel?.drain();
      await revocationChannel?.stop();
      await ticker.stop();
      await dispatcher?.stop();
      await sweeper.stop();
      await writer?.stop();
      if (calls instanceof CallThread) await calls.close();
      await store.close();
    },
  };
}
