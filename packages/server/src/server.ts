// Starts and stops the whole server: store (with migrations), HTTP app, background services.
// Shutdown order matters: stop accepting work, drain what was accepted, then close the store.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { buildApp } from './http/app.ts';
import { openStore, type DatabaseTarget, type Store } from './store/index.ts';

export interface RunningServer {
  readonly url: string;
  readonly store: Store;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

export function databaseTarget(config: Config): DatabaseTarget {
  return config.databaseUrl
    ? { kind: 'postgres', url: config.databaseUrl, poolSize: config.databasePoolSize }
    : { kind: 'pglite', dataDir: config.dataDir };
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const target = databaseTarget(config);
  logger.info(
    { database: target.kind, dataDir: target.kind === 'pglite' ? target.dataDir : undefined },
    'opening database',
  );
  const store = await openStore(target);
  const app = await buildApp({ store, logger });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await store.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host}:${port}`;
  return {
    url,
    store,
    app,
    async close() {
      await app.close();
      await store.close();
    },
  };
}
