// The OpenAPI 3.1 description of the HTTP API, generated from the same zod schemas the
// routes parse with (zod's JSON Schema output is draft 2020-12, which OpenAPI 3.1 uses).
// Served at GET /api/v1/openapi.json; docs/api.md is its readable summary.
import {
  analyticsQuery,
  analyticsSummary,
  annotationQuery,
  callAnalyticsDocument,
  transcriptArchiveDocument,
  auditQuery,
  changePasswordRequest,
  createKeyRequest,
  createUserRequest,
  signInRequest,
  updateUserRequest,
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
const manageAuth = [{ apiKey: ['manage'] }, { session: ['campaigns:write'] }];
const readCampaignsAuth = [{ apiKey: ['manage'] }, { session: ['campaigns:read'] }];
const monitorAuth = [{ apiKey: ['monitor'] }, { session: ['calls:watch'] }];
const sessionAuth = [{ session: [] }];
const adminAuth = [{ session: ['admin'] }];
const metricsAuth = [{ apiKey: ['metrics'] }, { session: ['metrics:read'] }];

/** Query parameters of a GET route, from the zod schema it parses them with. */
function queryParameters(type: z.ZodObject) {
  const properties = (schema(type, 'input') as { properties?: Record<string, unknown> }).properties;
  return Object.entries(properties ?? {}).map(([name, value]) => ({
    name,
    in: 'query',
    required: false,
    schema: value,
  }));
}

/** The admin routes: users, keys and the audit log. */
function adminPaths() {
  const idOrName = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const ok = (description: string) => ({ description });
  return {
    '/users': {
      get: {
        summary: 'List users',
        security: adminAuth,
        responses: { '200': ok('Users'), ...errors(401, 403) },
      },
      post: {
        summary: 'Create a user; the answer holds their one-time password, once',
        security: adminAuth,
        requestBody: { required: true, ...json(createUserRequest, 'input') },
        responses: { '201': ok('Created'), ...errors(400, 401, 403, 409) },
      },
    },
    '/users/{id}': {
      patch: {
        summary: "Change a user's name, role, campaigns or disabled state (ends their sessions)",
        security: adminAuth,
        parameters: [idOrName],
        requestBody: { required: true, ...json(updateUserRequest, 'input') },
        responses: { '200': ok('Updated'), ...errors(400, 401, 403, 404, 409) },
      },
    },
    '/users/{id}/password-reset': {
      post: {
        summary: 'Give a user a new one-time password (ends their sessions)',
        security: adminAuth,
        parameters: [idOrName],
        responses: { '200': ok('The new one-time password, once'), ...errors(401, 403, 404) },
      },
    },
    '/keys': {
      get: {
        summary: 'List API keys (never their secrets)',
        security: adminAuth,
        responses: { '200': ok('Keys'), ...errors(401, 403) },
      },
      post: {
        summary: 'Create an API key; the answer holds the key, once',
        security: adminAuth,
        requestBody: { required: true, ...json(createKeyRequest, 'input') },
        responses: { '201': ok('Created'), ...errors(400, 401, 403) },
      },
    },
    '/keys/{id}': {
      delete: {
        summary: 'Revoke an API key (its sockets close)',
        security: adminAuth,
        parameters: [idOrName],
        responses: { '200': ok('Revoked'), ...errors(401, 403, 404) },
      },
    },
    '/audit': {
      get: {
        summary: 'The audit log, newest first',
        security: adminAuth,
        parameters: queryParameters(auditQuery),
        responses: { '200': ok('Entries'), ...errors(400, 401, 403) },
      },
    },
  };
}

/** Sign-in, the current session, sign-out and the password change. */
function sessionPaths() {
  return {
    '/session': {
      post: {
        summary: 'Sign in: sets the HttpOnly, SameSite=Strict session cookie',
        requestBody: { required: true, ...json(signInRequest, 'input') },
        responses: { '200': { description: 'Signed in' }, ...errors(400, 401, 429) },
      },
      get: {
        summary: 'Who is signed in, their permissions and when the session ends',
        security: sessionAuth,
        responses: { '200': { description: 'The session' }, ...errors(401, 403) },
      },
      delete: {
        summary: 'Sign out: the session ends and its sockets close',
        security: sessionAuth,
        responses: { '204': { description: 'Signed out' }, ...errors(401, 403) },
      },
    },
    '/session/password': {
      post: {
        summary: 'Change the password (the only thing a one-time password allows)',
        security: sessionAuth,
        requestBody: { required: true, ...json(changePasswordRequest, 'input') },
        responses: { '204': { description: 'Changed' }, ...errors(400, 401, 403) },
      },
    },
  };
}

export function openApiDocument() {
  const call = z.object({ call: liveCallDocument });
  const campaign = z.object({ campaign: campaignDocument });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Earshot API',
      version: '1',
      description:
        'Ingest for voice pipelines, campaigns, supervisor actions, sign-in and administration. Errors are application/problem+json.',
    },
    servers: [{ url: '/api/v1' }],
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key: esk_<prefix>_<secret>',
        },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'earshot_session',
          description: 'The console sign-in session (POST /session); scopes name permissions',
        },
      },
    },
    paths: {
      ...sessionPaths(),
      ...adminPaths(),
      '/annotations': {
        get: {
          summary: 'Notes, bookmarks and flags, kept after the call, from the caller’s campaigns',
          security: monitorAuth,
          parameters: queryParameters(annotationQuery),
          responses: {
            '200': { description: 'Annotations, newest first' },
            ...errors(400, 401, 403),
          },
        },
      },
      '/analytics/calls': {
        get: {
          summary:
            'Ended calls’ roll-ups (callAnalytics), newest first, from the caller’s campaigns',
          security: monitorAuth,
          parameters: queryParameters(analyticsQuery),
          responses: {
            '200': {
              description: 'Roll-ups, newest first',
              ...json(
                z.object({
                  calls: z.array(callAnalyticsDocument),
                  next: z.string().optional().describe('The cursor of the page after this one'),
                }),
              ),
            },
            ...errors(400, 401, 403),
          },
        },
      },
      '/analytics/calls/{id}': {
        get: {
          summary: 'One roll-up and its archived final transcript',
          security: monitorAuth,
          parameters: [idParam],
          responses: {
            '200': {
              description: 'The roll-up',
              ...json(
                z.object({
                  call: callAnalyticsDocument,
                  transcript: z.array(transcriptArchiveDocument),
                }),
              ),
            },
            ...errors(400, 401, 403, 404),
          },
        },
      },
      '/analytics/summary': {
        get: {
          summary: 'Totals over the roll-ups a query selects (its limit does not apply)',
          security: monitorAuth,
          parameters: queryParameters(analyticsQuery),
          responses: {
            '200': { description: 'Totals', ...json(z.object({ summary: analyticsSummary })) },
            ...errors(400, 401, 403),
          },
        },
      },
      '/health': {
        get: {
          summary: 'Is the server up and its database reachable',
          responses: {
            '200': { description: 'Healthy' },
            '503': { description: 'Database unreachable' },
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Operational metrics for Prometheus (admins and `metrics` keys)',
          security: metricsAuth,
          responses: {
            '200': {
              description: 'Prometheus text exposition format 0.0.4',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
            ...errors(401, 403),
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
        get: {
          summary: 'The call’s supervisor actions, in order, while its live rows are kept',
          security: monitorAuth,
          parameters: [callIdParam],
          responses: {
            '200': {
              description: 'Actions',
              ...json(z.object({ actions: z.array(supervisorActionDocument) })),
            },
            // 503: an ended call a restarted server has not read back yet.
            ...errors(401, 403, 404, 503),
          },
        },
        post: {
          summary:
            'A supervisor acts on a call (coach, join, transfer, end, note, bookmark, flag), recorded in the key holder’s name',
          security: monitorAuth,
          parameters: [
            callIdParam,
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description:
                'Retry with the same key to get the action the first request took (200) instead of taking it again',
              schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' },
            },
          ],
          requestBody: { required: true, ...json(supervisorActionRequest, 'input') },
          responses: {
            '201': {
              description: 'Recorded',
              ...json(z.object({ action: supervisorActionDocument })),
            },
            '200': {
              description: 'Taken before under this Idempotency-Key: that action',
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
          description:
            'The socket is closed with 4401 when its key is revoked (on any server sharing the database) or expires; frames after that are neither applied nor acknowledged.',
          security: ingestAuth,
          parameters: [callIdParam],
          responses: { '101': { description: 'Switching protocols' }, ...errors(401, 403) },
        },
      },
      '/realtime': {
        get: {
          summary:
            'The supervisors’ WebSocket: subscribe to calls and the wallboard; frames are JSON messages, answered by snapshots, deltas and error frames',
          description:
            'Authenticate with the session cookie or a key on the upgrade, or with a hello frame carrying a key within 5 s. A browser’s Origin must be the server’s own or in --allowed-origins (403). The socket is closed with 4401 when its credentials are revoked (on any server sharing the database) or expire, with 4400 after a malformed frame and with 4408 when it cannot keep up.',
          security: monitorAuth,
          responses: { '101': { description: 'Switching protocols' }, ...errors(401, 403) },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This OpenAPI 3.1 document',
          responses: {
            '200': {
              description: 'The document',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      },
      '/campaigns': {
        get: {
          summary: 'List campaigns (a supervisor or viewer: their own)',
          security: readCampaignsAuth,
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
          summary: 'Read a campaign (another team’s: 404)',
          security: readCampaignsAuth,
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
