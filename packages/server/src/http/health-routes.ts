// GET /api/v1/health: is the process up and can it reach its database.
import type { FastifyPluginAsync } from 'fastify';
import type { AppDependencies } from './app.ts';

export function healthRoutes({ store, calls }: AppDependencies): FastifyPluginAsync {
  return async (app) => {
    app.get('/health', async (_request, reply) => {
      const databaseUp = await store.database.ping();
      return reply.code(databaseUp ? 200 : 503).send({
        status: databaseUp ? 'ok' : 'degraded',
        database: { kind: store.database.kind, up: databaseUp },
        // Events whose text was dropped because redaction failed (never stored or sent).
        redactionFailures: calls.stats.redactionFailures,
      });
    });
  };
}
