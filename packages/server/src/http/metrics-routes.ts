// GET /api/v1/metrics: the process's operational metrics for Prometheus (src/telemetry.ts).
// Admins and keys with the `metrics` scope only: the numbers hold no call data, but they
// tell an outsider how busy the centre is.
import type { FastifyPluginAsync } from 'fastify';
import type { Telemetry } from '../telemetry.ts';
import type { RouteDependencies } from './app.ts';

export function metricsRoutes(
  { access }: RouteDependencies,
  telemetry: Telemetry,
): FastifyPluginAsync {
  return async (app) => {
    app.get('/metrics', { preHandler: access.guard('metrics:read') }, async (_request, reply) =>
      reply.type(telemetry.contentType).send(await telemetry.text()),
    );
  };
}
