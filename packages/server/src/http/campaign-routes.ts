// Campaigns and their scripts: create, list, read, update.
import {
  createCampaignRequest,
  EarshotError,
  parseOrThrow,
  updateCampaignRequest,
} from '@earshot/protocol';
import { CAMPAIGN_STATUSES } from '@earshot/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AppDependencies } from './app.ts';
import { requireScope } from './authenticate.ts';

const idParams = z.strictObject({ id: z.uuid() });
const listQuery = z.strictObject({ status: z.enum(CAMPAIGN_STATUSES).optional() });

export function campaignRoutes({
  store,
  keys,
  clock,
  limiter,
}: AppDependencies): FastifyPluginAsync {
  return async (app) => {
    const manage = requireScope(keys, 'manage', limiter);

    app.post('/campaigns', { preHandler: manage }, async (request, reply) => {
      const body = parseOrThrow(createCampaignRequest, request.body, 'request body');
      if (await store.campaigns.findByName(body.name)) {
        throw new EarshotError('conflict', `A campaign named "${body.name}" exists`, {
          fields: [{ field: 'name', message: 'Already taken' }],
        });
      }
      const now = clock();
      const campaign = await store.campaigns.create({ ...body, createdAt: now, updatedAt: now });
      return reply.code(201).send({ campaign });
    });

    app.get('/campaigns', { preHandler: manage }, async (request) => {
      const filter = parseOrThrow(listQuery, request.query, 'query');
      return { campaigns: await store.campaigns.list(filter) };
    });

    app.get('/campaigns/:id', { preHandler: manage }, async (request) => {
      const { id } = parseOrThrow(idParams, request.params, 'path');
      const campaign = await store.campaigns.get(id);
      if (!campaign) throw new EarshotError('not_found', `No campaign ${id}`);
      return { campaign };
    });

    app.patch('/campaigns/:id', { preHandler: manage }, async (request) => {
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
      return { campaign: await store.campaigns.update(id, { ...patch, updatedAt: clock() }) };
    });
  };
}
