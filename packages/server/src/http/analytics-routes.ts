// The permanent record, read back: each ended call's roll-up (callAnalytics) with its archived
// transcript, and totals over a period. Kept after the live rows expire; a user sees only the
// calls of their campaigns, as everywhere else.
import { analyticsQuery, EarshotError, parseOrThrow, scopeCovers } from '@earshot/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { RouteDependencies } from './app.ts';

const idParams = z.strictObject({ id: z.uuid() });

/**
 * Where a page of roll-ups ended: its last row's `endedAt` and `_id`, so the next page starts
 * right after it even when several calls ended in the same millisecond. Opaque to clients.
 */
const cursorFields = z.tuple([z.iso.datetime(), z.uuid()]);

function encodeCursor(row: { endedAt: string; _id: string }): string {
  return Buffer.from(JSON.stringify([row.endedAt, row._id])).toString('base64url');
}

function decodeCursor(cursor: string): { endedAt: string; id: string } {
  try {
    const [endedAt, id] = cursorFields.parse(
      JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')),
    );
    return { endedAt, id };
  } catch {
    throw new EarshotError('validation', 'Invalid query: cursor', {
      fields: [{ field: 'cursor', message: 'Not a cursor this server answered with' }],
    });
  }
}

export function analyticsRoutes({ store, access }: RouteDependencies): FastifyPluginAsync {
  return async (app) => {
    const watch = access.guard('calls:watch');

    app.get('/analytics/calls', { preHandler: watch }, async (request) => {
      const { cursor, ...filter } = parseOrThrow(analyticsQuery, request.query, 'query');
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const calls = await store.analytics.list(filter, request.principal!.campaigns, after);
      // A full page may have more after it: `next` asks for the page after its last row.
      const last = calls.length === filter.limit ? calls.at(-1) : undefined;
      return { calls, ...(last ? { next: encodeCursor(last) } : {}) };
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
