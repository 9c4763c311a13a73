// The permanent record, read back: each ended call's roll-up (callAnalytics) with its archived
// transcript, and totals over a period. Kept after the live rows expire; a user sees only the
// calls of their campaigns, as everywhere else.
import { analyticsQuery, EarshotError, parseOrThrow, scopeCovers } from '@earshot/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { RouteDependencies } from './app.ts';

const idParams = z.strictObject({ id: z.uuid() });

export function analyticsRoutes({ store, access }: RouteDependencies): FastifyPluginAsync {
  return async (app) => {
    const watch = access.guard('calls:watch');

    app.get('/analytics/calls', { preHandler: watch }, async (request) => {
      const filter = parseOrThrow(analyticsQuery, request.query, 'query');
      return { calls: await store.analytics.list(filter, request.principal!.campaigns) };
    });

    app.get('/analytics/summary', { preHandler: watch }, async (request) => {
      const filter = parseOrThrow(analyticsQuery, request.query, 'query');
      return { summary: await store.analytics.summary(filter, request.principal!.campaigns) };
    });

    app.get('/analytics/calls/:id', { preHandler: watch }, async (request) => {
      const { id } = parseOrThrow(idParams, request.params, 'path');
      const call = await store.analytics.get(id);
      // Another team's call does not exist for this user (and the refusal is audited).
      if (!call || !scopeCovers(request.principal!.campaigns, call.campaignId)) {
        const error = new EarshotError('not_found', `No call analytics ${id}`);
        if (call) await access.refused(request, error, request.principal, 'campaign scope');
        throw error;
      }
      return { call, transcript: await store.analytics.transcriptOf(id) };
    });
  };
}
