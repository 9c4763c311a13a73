// The OpenAPI 3.1 description of the HTTP API, generated from the same zod schemas the
// routes parse with (zod's JSON Schema output is draft 2020-12, which OpenAPI 3.1 uses).
// Served at GET /api/v1/openapi.json; docs/api.md is its readable summary.
import {
  createCampaignRequest,
  endCallRequest,
  eventBatchRequest,
  eventBatchResponse,
  problemSchema,
  startCallRequest,
  updateCampaignRequest,
  liveCallDocument,
  campaignDocument,
  supervisorActionDocument,
  supervisorActionRequest,
} from '@earshot/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';

function schema(type: z.ZodType, io: 'input' | 'output' = 'output') {
  return z.toJSONSchema(type, { io, unrepresentable: 'any' });
}

function json(type: z.ZodType, io: 'input' | 'output' = 'output') {
  return { content: { 'application/json': { schema: schema(type, io) } } };
}

const problem = { content: { 'application/problem+json': { schema: schema(problemSchema) } } };
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [String(code), { description: 'Problem', ...problem }]));
const callIdParam = { name: 'callId', in: 'path', required: true, schema: { type: 'string' } };
const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', format: 'uuid' },
};
const ingestAuth = [{ apiKey: ['ingest'] }];
const manageAuth = [{ apiKey: ['manage'] }];
const monitorAuth = [{ apiKey: ['monitor'] }];

export function openApiDocument() {
  const call = z.object({ call: liveCallDocument });
  const campaign = z.object({ campaign: campaignDocument });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Earshot API',
      version: '1',
      description:
        'Ingest for voice pipelines and management of campaigns. Errors are application/problem+json.',
    },
    servers: [{ url: '/api/v1' }],
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key: esk_<prefix>_<secret>',
        },
      },
    },
    paths: {
      '/health': {
        get: {
          summary: 'Is the server up and its database reachable',
          responses: {
            '200': { description: 'Healthy' },
            '503': { description: 'Database unreachable' },
          },
        },
      },
      '/calls': {
        post: {
          summary: 'Start a call (idempotent for the same body)',
          security: ingestAuth,
          requestBody: { required: true, ...json(startCallRequest, 'input') },
          responses: {
            '201': { description: 'Started', ...json(call) },
            '200': {
              description: 'Already started with this body; nothing changed',
              ...json(call),
            },
            ...errors(400, 401, 403, 409, 413, 415, 503),
          },
        },
      },
      '/calls/{callId}/events': {
        post: {
          summary: 'Post a batch of events; answered once all are committed',
          security: ingestAuth,
          parameters: [callIdParam],
          requestBody: { required: true, ...json(eventBatchRequest, 'input') },
          responses: {
            '200': {
              description: 'Committed (replays counted as duplicates)',
              ...json(eventBatchResponse),
            },
            ...errors(400, 401, 403, 404, 409, 413, 415, 503),
          },
        },
      },
      '/calls/{callId}/end': {
        post: {
          summary: 'End a call with a reason',
          security: ingestAuth,
          parameters: [callIdParam],
          requestBody: { required: true, ...json(endCallRequest, 'input') },
          responses: {
            '200': { description: 'Ended', ...json(call) },
            ...errors(400, 401, 403, 404, 409, 503),
          },
        },
      },
      '/calls/{callId}/actions': {
        post: {
          summary:
            'A supervisor acts on a call (coach, join, transfer, end, note, bookmark, flag), recorded in the key holder’s name',
          security: monitorAuth,
          parameters: [callIdParam],
          requestBody: { required: true, ...json(supervisorActionRequest, 'input') },
          responses: {
            '201': {
              description: 'Recorded',
              ...json(z.object({ action: supervisorActionDocument })),
            },
            ...errors(400, 401, 403, 404, 409, 503),
          },
        },
      },
      '/calls/{callId}/stream': {
        get: {
          summary:
            'Streaming ingest over WebSocket: frames are event batches, answered by ack or error frames',
          security: ingestAuth,
          parameters: [callIdParam],
          responses: { '101': { description: 'Switching protocols' }, ...errors(401, 403) },
        },
      },
      '/campaigns': {
        get: {
          summary: 'List campaigns',
          security: manageAuth,
          parameters: [
            { name: 'status', in: 'query', required: false, schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'Campaigns',
              ...json(z.object({ campaigns: z.array(campaignDocument) })),
            },
          },
        },
        post: {
          summary: 'Create a campaign with its script',
          security: manageAuth,
          requestBody: { required: true, ...json(createCampaignRequest, 'input') },
          responses: {
            '201': { description: 'Created', ...json(campaign) },
            ...errors(400, 401, 403, 409),
          },
        },
      },
      '/campaigns/{id}': {
        get: {
          summary: 'Read a campaign',
          security: manageAuth,
          parameters: [idParam],
          responses: {
            '200': { description: 'The campaign', ...json(campaign) },
            ...errors(401, 403, 404),
          },
        },
        patch: {
          summary: 'Update any fields of a campaign',
          security: manageAuth,
          parameters: [idParam],
          requestBody: { required: true, ...json(updateCampaignRequest, 'input') },
          responses: {
            '200': { description: 'Updated', ...json(campaign) },
            ...errors(400, 401, 403, 404, 409),
          },
        },
      },
    },
  };
}

export function openApiRoutes(): FastifyPluginAsync {
  return async (app) => {
    const document = openApiDocument();
    app.get('/openapi.json', async () => document);
  };
}
