// Campaigns and their scripts: create, list, read, update.
import {
  createCampaignRequest,
  EarshotError,
  CAMPAIGN_STATUSES,
  parseOrThrow,
  scopeCovers,
  updateCampaignRequest,
} from '@earshot/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { RouteDependencies } from './app.ts';

const idParams = z.strictObject({ id: z.uuid() });
const listQuery = z.strictObject({ status: z.enum(CAMPAIGN_STATUSES).optional() });

export function campaignRoutes({ store, access, clock }: RouteDependencies): FastifyPluginAsync {
  return async (app) => {
    const read = access.guard('campaigns:read');
    const write = access.guard('campaigns:write');

    app.post('/campaigns', { preHandler: write }, async (request, reply) => {
      const body = parseOrThrow(createCampaignRequest, request.body, 'request body');
      if (await store.campaigns.findByName(body.name)) {
        throw new EarshotError('conflict', `A campaign named "${body.name}" exists`, {
          fields: [{ field: 'name', message: 'Already taken' }],
        });
      }
      const now = clock();
      const campaign = await store.campaigns.create(
        { ...body, createdAt: now, updatedAt: now },
        access.recordWith(request, (made) => ({
          event: 'campaign_created',
          target: made._id,
          detail: { name: made.name },
        })),
      );
      return reply.code(201).send({ campaign });
    });

    // A supervisor or viewer sees only the campaigns assigned to them.
    app.get('/campaigns', { preHandler: read }, async (request) => {
      const filter = parseOrThrow(listQuery, request.query, 'query');
      const scope = request.principal!.campaigns;
      const campaigns = await store.campaigns.list(filter);
      return { campaigns: campaigns.filter((c) => scopeCovers(scope, c._id)) };
    });

    app.get('/campaigns/:id', { preHandler: read }, async (request) => {
      const { id } = parseOrThrow(idParams, request.params, 'path');
      const campaign = await store.campaigns.get(id);
      if (!campaign || !scopeCovers(request.principal!.campaigns, campaign._id)) {
        const error = new EarshotError('not_found', `No campaign ${id}`);
        if (campaign) await access.refused(request, error, request.principal, 'campaign scope');
        throw error;
      }
      return { campaign };
    });

    app.patch('/campaigns/:id', { preHandler: write }, async (request) => {
      const { id } = parseOrThrow(idParams, request.params, 'path');
      const patch = parseOrThrow(updateCampaignRequest, request.body, 'request body');
      if (patch.name !== undefined) {
        const clash = await store.campaigns.findByName(patch.name);
        if (clash && clash._id !== id) {
          throw new EarshotError('conflict', `A campaign named "${patch.name}" exists`, {
            fields: [{ field: 'name', message: 'Already taken' }],
          });
        }
      }
      const campaign = await store.campaigns.update(
        id,
        { ...patch, updatedAt: clock() },
        access.recordWith(request, () => ({
          event: 'campaign_updated',
          target: id,
          detail: { fields: Object.keys(patch) },
        })),
      );
      return { campaign };
    });
  };
}
