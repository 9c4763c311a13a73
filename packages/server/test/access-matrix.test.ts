// Who may see and do what: every role × every HTTP route and realtime topic × a call or
// campaign of their own or of another team gives the documented answer (docs/api.md,
// "Roles and scope"), and no response or frame to a supervisor or viewer ever carries the
// other team's call.
import type { Role } from '@earshot/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Earshot } from '../src/server.ts';
import { DATABASE_KINDS, postgresAvailable } from './support/databases.ts';
import { listeningEarshot } from './support/earshot.ts';
import { SALES_CAMPAIGN, startRequest } from './support/scripted-call.ts';
import { signedInUser, type SignedInUser } from './support/users.ts';

const ROLES: Role[] = ['admin', 'supervisor', 'viewer'];
/** What the other team's call looks like: none of these strings may reach a scoped user. */
const FOREIGN = { callId: 'call-foreign', customer: 'Zebedee Foreignson' };

type Scope = 'own' | 'foreign';
type Answer = number | Record<Role, number>;

interface Route {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The path for a call or campaign of the role's own team, or of the other team. */
  path: (scope: Scope) => Promise<string> | string;
  body?: (scope: Scope) => Promise<unknown> | unknown;
  /** Status per role, for own and foreign targets (routes without a campaign: one answer). */
  expect: { own: Answer; foreign?: Answer };
}

for (const kind of DATABASE_KINDS) {
  describe.skipIf(kind === 'postgres' && !postgresAvailable)(`access matrix [${kind}]`, () => {
    let earshot: Earshot;
    let base: string;
    let cleanup: () => Promise<void>;
    const users = {} as Record<Role, SignedInUser>;
    const campaign = { own: '', foreign: '' };
    let ingestKey: string;
    let counter = 0;

    beforeAll(async () => {
      ({ earshot, base, cleanup } = await listeningEarshot(kind));
      ingestKey = (await earshot.keys.create({ name: 'pipeline', scopes: ['ingest'] })).key;
      const manageKey = (await earshot.keys.create({ name: 'setup', scopes: ['manage'] })).key;
      for (const scope of ['own', 'foreign'] as const) {
        const created = await fetch(`${base}/api/v1/campaigns`, {
          method: 'POST',
          headers: { authorization: `Bearer ${manageKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ...SALES_CAMPAIGN, name: `${scope} team campaign` }),
        });
        campaign[scope] = ((await created.json()) as { campaign: { _id: string } }).campaign._id;
      }
      await ingest('POST', '/calls', {
        ...startRequest('call-own'),
        campaignName: 'own team campaign',
      });
      await ingest('POST', '/calls', {
        ...startRequest(FOREIGN.callId),
        customerName: FOREIGN.customer,
        campaignName: 'foreign team campaign',
      });
      for (const callId of ['call-own', FOREIGN.callId]) {
        await ingest('POST', `/calls/${callId}/events`, {
          events: [
            { type: 'status', seq: 1, status: 'ringing' },
            { type: 'status', seq: 2, status: 'connected' },
          ],
        });
      }
      for (const role of ROLES) {
        users[role] = await signedInUser(earshot, base, {
          username: `${role}-user`,
          role,
          campaignIds: [campaign.own],
        });
      }
      // A note on each call, so the annotation search has something of each team to leave out.
      for (const scope of ['own', 'foreign'] as const) {
        await send(users.admin, 'POST', `/api/v1/calls/${callOf(scope)}/actions`, {
          action: 'ADD_NOTE',
          details: `note on the ${scope} call`,
        });
      }
    });
    afterAll(() => cleanup());

    const callOf = (scope: Scope) => (scope === 'own' ? 'call-own' : FOREIGN.callId);

    async function ingest(method: 'POST', path: string, body: unknown) {
      const response = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBeLessThan(300);
    }

    async function send(user: SignedInUser, method: string, path: string, body?: unknown) {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          cookie: user.cookie,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, text: await response.text() };
    }

    /** A fresh user to act on, so admin routes that change users have a target. */
    async function spareUser(): Promise<string> {
      const { user } = await earshot.users.create({
        username: `spare-${++counter}`,
        displayName: 'Spare',
        role: 'viewer',
        campaignIds: [],
      });
      return user.id;
    }

    const allowedToAdmin = { admin: 200, supervisor: 403, viewer: 403 };
    const ROUTES: Route[] = [
      {
        name: 'start a call (ingest)',
        method: 'POST',
        path: () => '/api/v1/calls',
        body: () => ({ ...startRequest(`new-${++counter}`), campaignName: 'own team campaign' }),
        expect: { own: 403 },
      },
      {
        name: 'post events (ingest)',
        method: 'POST',
        path: (s) => `/api/v1/calls/${callOf(s)}/events`,
        body: () => ({
          events: [{ type: 'audio', seq: 1000 + ++counter, agentGain: 10, customerGain: 5 }],
        }),
        expect: { own: 403, foreign: 403 },
      },
      {
        name: 'end a call (ingest)',
        method: 'POST',
        path: (s) => `/api/v1/calls/${callOf(s)}/end`,
        body: () => ({ reason: 'completed' }),
        expect: { own: 403, foreign: 403 },
      },
      {
        name: 'coach the agent',
        method: 'POST',
        path: (s) => `/api/v1/calls/${callOf(s)}/actions`,
        body: () => ({ action: 'COACH_AGENT', details: 'Slow down' }),
        expect: {
          own: { admin: 201, supervisor: 201, viewer: 403 },
          foreign: { admin: 201, supervisor: 404, viewer: 404 },
        },
      },
      {
        name: 'add a note',
        method: 'POST',
        path: (s) => `/api/v1/calls/${callOf(s)}/actions`,
        body: () => ({ action: 'ADD_NOTE', details: 'Check the quote' }),
        expect: {
          own: { admin: 201, supervisor: 201, viewer: 403 },
          foreign: { admin: 201, supervisor: 404, viewer: 404 },
        },
      },
      {
        name: "read a call's actions",
        method: 'GET',
        path: (s) => `/api/v1/calls/${callOf(s)}/actions`,
        expect: { own: 200, foreign: { admin: 200, supervisor: 404, viewer: 404 } },
      },
      {
        name: 'search notes and flags',
        method: 'GET',
        path: (s) => `/api/v1/annotations?callId=${callOf(s)}`,
        expect: { own: 200, foreign: 200 },
      },
      {
        name: 'list campaigns',
        method: 'GET',
        path: () => '/api/v1/campaigns',
        expect: { own: 200 },
      },
      {
        name: 'read a campaign',
        method: 'GET',
        path: (s) => `/api/v1/campaigns/${campaign[s]}`,
        expect: { own: 200, foreign: { admin: 200, supervisor: 404, viewer: 404 } },
      },
      {
        name: 'create a campaign',
        method: 'POST',
        path: () => '/api/v1/campaigns',
        body: () => ({ ...SALES_CAMPAIGN, name: `campaign ${++counter}` }),
        expect: { own: { admin: 201, supervisor: 403, viewer: 403 } },
      },
      {
        name: 'change a campaign',
        method: 'PATCH',
        path: (s) => `/api/v1/campaigns/${campaign[s]}`,
        body: () => ({ description: `changed ${++counter}` }),
        expect: { own: allowedToAdmin, foreign: allowedToAdmin },
      },
      {
        name: 'list users',
        method: 'GET',
        path: () => '/api/v1/users',
        expect: { own: allowedToAdmin },
      },
      {
        name: 'create a user',
        method: 'POST',
        path: () => '/api/v1/users',
        body: () => ({ username: `made-${++counter}`, displayName: 'Made', role: 'viewer' }),
        expect: { own: { admin: 201, supervisor: 403, viewer: 403 } },
      },
      {
        name: 'change a user',
        method: 'PATCH',
        path: async () => `/api/v1/users/${await spareUser()}`,
        body: () => ({ role: 'supervisor' }),
        expect: { own: allowedToAdmin },
      },
      {
        name: "reset a user's password",
        method: 'POST',
        path: async () => `/api/v1/users/${await spareUser()}/password-reset`,
        expect: { own: allowedToAdmin },
      },
      {
        name: 'list keys',
        method: 'GET',
        path: () => '/api/v1/keys',
        expect: { own: allowedToAdmin },
      },
      {
        name: 'create a key',
        method: 'POST',
        path: () => '/api/v1/keys',
        body: () => ({ name: `key ${++counter}`, scopes: ['monitor'] }),
        expect: { own: { admin: 201, supervisor: 403, viewer: 403 } },
      },
      {
        name: 'revoke a key',
        method: 'DELETE',
        path: async () =>
          `/api/v1/keys/${(await earshot.keys.create({ name: 'spare', scopes: ['ingest'] })).info.id}`,
        expect: { own: allowedToAdmin },
      },
      {
        name: 'read the audit log',
        method: 'GET',
        path: () => '/api/v1/audit',
        expect: { own: allowedToAdmin },
      },
      { name: 'who am I', method: 'GET', path: () => '/api/v1/session', expect: { own: 200 } },
      { name: 'health', method: 'GET', path: () => '/api/v1/health', expect: { own: 200 } },
      {
        name: 'operational metrics',
        method: 'GET',
        path: () => '/api/v1/metrics',
        expect: { own: allowedToAdmin },
      },
    ];

    const cases = ROUTES.flatMap((route) =>
      ROLES.flatMap((role) =>
        (['own', 'foreign'] as const)
          .filter((scope) => scope === 'own' || route.expect.foreign !== undefined)
          .map((scope) => {
            const answer = route.expect[scope]!;
            return {
              route,
              role,
              scope,
              status: typeof answer === 'number' ? answer : answer[role],
            };
          }),
      ),
    );

    it.each(cases.map((c) => [c.role, c.route.name, c.scope, c.status, c] as const))(
      '%s: %s (%s campaign) → %i',
      async (role, _name, scope, status, { route }) => {
        const body = route.body ? await route.body(scope) : undefined;
        const response = await send(users[role], route.method, await route.path(scope), body);
        expect(response.status, response.text).toBe(status);
        if (role !== 'admin') {
          // A refusal may echo the id the request itself named; data never comes back.
          expect(response.text).not.toContain(FOREIGN.customer);
          expect(response.text).not.toContain('note on the foreign call');
          if (response.status < 300) {
            expect(response.text).not.toContain(FOREIGN.callId);
            expect(response.text).not.toContain(campaign.foreign);
          }
        }
      },
    );

    it('answers 404 for another team’s call before looking at the body', async () => {
      for (const role of ['supervisor', 'viewer'] as const) {
        const path = `/api/v1/calls/${FOREIGN.callId}/actions`;
        const response = await send(users[role], 'POST', path, { action: 'NOT_AN_ACTION' });
        expect(response.status, role).toBe(404);
      }
    });

    it('refuses ingest sockets to every role', async () => {
      for (const role of ROLES) {
        const status = await new Promise<number>((resolve) => {
          const socket = new WebSocket(
            `${base.replace('http', 'ws')}/api/v1/calls/call-own/stream`,
            { headers: { cookie: users[role].cookie } },
          );
          socket.on('unexpected-response', (_request, response) => resolve(response.statusCode!));
          socket.on('open', () => resolve(101));
        });
        expect(status, role).toBe(403);
      }
    });

    /** Subscribes to the wallboard and both calls, then lets the calls change. */
    async function watchEverything(user: SignedInUser) {
      const socket = new WebSocket(`${base.replace('http', 'ws')}/api/v1/realtime`, {
        headers: { cookie: user.cookie },
      });
      const frames: string[] = [];
      const messages: Array<Record<string, unknown>> = [];
      socket.on('message', (data) => {
        frames.push(String(data));
        messages.push(JSON.parse(String(data)));
      });
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const answered = async (id: string) => {
        await expect.poll(() => messages.find((m) => m.id === id), { timeout: 5_000 }).toBeTruthy();
        return messages.find((m) => m.id === id)!;
      };
      socket.send(JSON.stringify({ type: 'subscribe', id: 'board', topic: { kind: 'wallboard' } }));
      const board = await answered('board');
      const calls: Record<Scope, Record<string, unknown>> = { own: {}, foreign: {} };
      for (const scope of ['own', 'foreign'] as const) {
        socket.send(
          JSON.stringify({
            type: 'subscribe',
            id: scope,
            topic: { kind: 'call', callId: callOf(scope) },
          }),
        );
        calls[scope] = await answered(scope);
      }
      return { socket, frames, messages, board, calls };
    }

    it('scopes every realtime topic to the role’s campaigns', async () => {
      const watchers = {} as Record<Role, Awaited<ReturnType<typeof watchEverything>>>;
      for (const role of ROLES) watchers[role] = await watchEverything(users[role]);
      // Both calls change while everyone watches; then the other team's call ends.
      for (const [i, callId] of ['call-own', FOREIGN.callId].entries()) {
        await ingest('POST', `/calls/${callId}/events`, {
          events: [
            {
              type: 'transcript',
              seq: 10 + i,
              segmentId: 's1',
              speaker: 'customer',
              text: 'Hello there',
              isFinal: true,
              timestamp: '0:05',
            },
            { type: 'phase', seq: 20 + i, phase: 'Discovery' },
          ],
        });
      }
      await ingest('POST', `/calls/${FOREIGN.callId}/end`, { reason: 'completed' });
      await new Promise((resolve) => setTimeout(resolve, 300));

      const boardCalls = (role: Role) =>
        ((watchers[role].board.data as { calls: Array<{ callId: string }> }).calls ?? []).map(
          (c) => c.callId,
        );
      expect(boardCalls('admin').sort()).toEqual(['call-foreign', 'call-own']);
      for (const role of ROLES) {
        const { calls, frames, socket } = watchers[role];
        expect(calls.own.type, role).toBe('snapshot');
        if (role === 'admin') {
          expect(calls.foreign.type).toBe('snapshot');
          expect(frames.join('\n')).toContain(FOREIGN.customer);
        } else {
          expect(boardCalls(role)).toEqual(['call-own']);
          expect(calls.foreign).toMatchObject({ type: 'error', problem: { status: 404 } });
          // Every frame but the refusal of the subscription that named the foreign call.
          const everything = frames.filter((f) => !f.includes('"id":"foreign"')).join('\n');
          expect(everything).toContain('Hello there'); // their own call's change arrived
          expect(everything).not.toContain(FOREIGN.callId);
          expect(everything).not.toContain(FOREIGN.customer);
          expect(everything).not.toContain(campaign.foreign);
        }
        socket.close();
      }
      // Each refused subscription to the other team's call is in the audit log.
      const refused = (await earshot.audit.list({ event: 'access_refused', limit: 500 })).filter(
        (e) => e.target === `subscribe call ${FOREIGN.callId}`,
      );
      expect(refused.map((e) => e.actorName).sort()).toEqual(['supervisor-user', 'viewer-user']);
    });
  });
}
