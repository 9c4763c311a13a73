// Console sign-in: scrypt-hashed passwords, an HttpOnly SameSite session cookie with expiry,
// sign-out, the one-time password that must be changed first, sessions ended by expiry,
// sign-out or an admin (401 on HTTP, open sockets closed with 4401), sign-in rate limits,
// cross-site requests refused, extra fields refused without effect, and the audit log.
import type { AuditEntry } from '@earshot/protocol';
import { eq, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.ts';
import { createEarshot, type Earshot } from '../src/server.ts';
import {
  auditLog,
  callAnnotations,
  sessions as sessionsTable,
  supervisorActions,
  users as usersTable,
} from '../src/store/schema.ts';
import { EarshotError } from '@earshot/protocol';
import { UserStore } from '../src/auth/users.ts';
import { DATABASE_KINDS, openTestStore, postgresAvailable } from './support/databases.ts';
import { listeningEarshot } from './support/earshot.ts';
import { SALES_CAMPAIGN, startRequest } from './support/scripted-call.ts';
import { NEW_PASSWORD, sessionCookie, signIn, signedInUser } from './support/users.ts';

for (const kind of DATABASE_KINDS) {
  describe.skipIf(kind === 'postgres' && !postgresAvailable)(
    `sign-in and sessions [${kind}]`,
    () => {
      let earshot: Earshot;
      let base: string;
      let cleanup: () => Promise<void>;
      let ingestKey: string;
      let salesId: string;
      const clock = { now: Date.parse('2026-11-24T09:00:00.000Z') };

      beforeAll(async () => {
        ({ earshot, base, cleanup } = await listeningEarshot(
          kind,
          { 'session-hours': '1', 'sign-in-attempts': '5' },
          { clock: () => clock.now },
        ));
        ingestKey = (await earshot.keys.create({ name: 'pipe', scopes: ['ingest'] })).key;
        const manageKey = (await earshot.keys.create({ name: 'setup', scopes: ['manage'] })).key;
        const created = await fetch(`${base}/api/v1/campaigns`, {
          method: 'POST',
          headers: { authorization: `Bearer ${manageKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(SALES_CAMPAIGN),
        });
        salesId = ((await created.json()) as { campaign: { _id: string } }).campaign._id;
      });
      afterAll(() => cleanup());

      const api = (path: string, init: RequestInit & { cookie?: string } = {}) =>
        fetch(`${base}/api/v1${path}`, {
          ...init,
          headers: {
            ...(init.body ? { 'content-type': 'application/json' } : {}),
            ...(init.cookie ? { cookie: init.cookie } : {}),
            ...(init.headers as Record<string, string> | undefined),
          },
        });

      async function auditEntries(): Promise<AuditEntry[]> {
        return earshot.audit.list({ limit: 500 });
      }

      /** Opens a realtime socket with a cookie; resolves with how it later closes. */
      async function openSocket(cookie: string) {
        const socket = new WebSocket(`${base.replace('http', 'ws')}/api/v1/realtime`, {
          headers: { cookie },
        });
        const closed = new Promise<number>((resolve) =>
          socket.on('close', (code) => resolve(code)),
        );
        await new Promise<void>((resolve, reject) => {
          socket.on('message', (data) => {
            if (JSON.parse(String(data)).type === 'ready') resolve();
          });
          socket.once('error', reject);
        });
        return { socket, closed };
      }

      it('creates the first admin once, with a one-time password', async () => {
        const first = await earshot.users.ensureAdmin();
        expect(first?.username).toBe('admin');
        expect(first!.password.length).toBeGreaterThanOrEqual(20);
        expect(await earshot.users.ensureAdmin()).toBeUndefined();
        const [row] = await earshot.store.database.db
          .select()
          .from(usersTable)
          .where(eq(usersTable.username, 'admin'));
        // Only a scrypt hash is stored, never the password.
        expect(row!.passwordHash).toMatch(/^scrypt\$32768\$8\$3\$/);
        expect(row!.passwordHash).not.toContain(first!.password);
        expect(row!.mustChangePassword).toBe(true);

        // Signed in on the one-time password, only changing it is allowed.
        const response = await signIn(base, 'admin', first!.password);
        expect(response.status).toBe(200);
        const cookie = sessionCookie(response);
        expect((await api('/users', { cookie })).status).toBe(403);
        expect(
          ((await (await api('/users', { cookie })).json()) as { detail: string }).detail,
        ).toBe('Change your one-time password first');
        const session = (await (await api('/session', { cookie })).json()) as {
          user: { mustChangePassword: boolean };
        };
        expect(session.user.mustChangePassword).toBe(true);
        const tooShort = await api('/session/password', {
          method: 'POST',
          cookie,
          body: JSON.stringify({ currentPassword: first!.password, newPassword: 'short' }),
        });
        expect(tooShort.status).toBe(400);
        expect(JSON.stringify(await tooShort.json())).toContain('newPassword');
        const changed = await api('/session/password', {
          method: 'POST',
          cookie,
          body: JSON.stringify({ currentPassword: first!.password, newPassword: NEW_PASSWORD }),
        });
        expect(changed.status).toBe(204);
        expect((await api('/users', { cookie })).status).toBe(200);
        // The one-time password no longer works; the new one does.
        expect((await signIn(base, 'admin', first!.password)).status).toBe(401);
        expect((await signIn(base, 'admin', NEW_PASSWORD)).status).toBe(200);
      });

      it('sets an HttpOnly, SameSite=Strict cookie that expires with the session', async () => {
        const user = await signedInUser(earshot, base, {
          username: 'cookie-check',
          role: 'viewer',
        });
        const response = await signIn(base, user.username, user.password);
        const header = response.headers.get('set-cookie')!;
        expect(header).toMatch(/^earshot_session=ess_[A-Za-z0-9_-]{43};/);
        expect(header).toContain('HttpOnly');
        expect(header).toContain('SameSite=Strict');
        expect(header).toContain('Path=/');
        expect(header).toContain('Max-Age=3600');
        const body = (await response.json()) as {
          user: Record<string, unknown>;
          permissions: string[];
        };
        expect(body.user).toMatchObject({ username: 'cookie-check', role: 'viewer' });
        expect(body.user).not.toHaveProperty('passwordHash');
        expect(body.permissions).toEqual(['calls:watch', 'campaigns:read']);
      });

      it('answers a wrong password, an unknown user and a disabled user alike, with 401', async () => {
        const user = await signedInUser(earshot, base, { username: 'alike', role: 'viewer' });
        const wrong = await signIn(base, 'alike', 'not the password');
        const unknown = await signIn(base, 'nobody-here', 'whatever');
        await earshot.users.update('alike', { disabled: true });
        const disabled = await signIn(base, 'alike', user.password);
        for (const response of [wrong, unknown, disabled]) {
          expect(response.status).toBe(401);
          expect(response.headers.get('content-type')).toContain('application/problem+json');
          expect(((await response.json()) as { detail: string }).detail).toBe(
            'Wrong username or password',
          );
          expect(response.headers.get('set-cookie')).toBeNull();
        }
        // Disabling ended the session the user already had.
        expect((await api('/session', { cookie: user.cookie })).status).toBe(401);
      });

      it('signs out: the cookie is cleared, refused from then on, and its socket closes', async () => {
        const user = await signedInUser(earshot, base, { username: 'leaver', role: 'supervisor' });
        const { closed } = await openSocket(user.cookie);
        const out = await api('/session', { method: 'DELETE', cookie: user.cookie });
        expect(out.status).toBe(204);
        expect(out.headers.get('set-cookie')).toMatch(
          /earshot_session=;.*Expires=Thu, 01 Jan 1970/,
        );
        expect(await closed).toBe(4401);
        expect((await api('/session', { cookie: user.cookie })).status).toBe(401);
      });

      it('ends the user’s other sessions when the password changes', async () => {
        const user = await signedInUser(earshot, base, { username: 'rotator', role: 'viewer' });
        const elsewhere = sessionCookie(await signIn(base, 'rotator', user.password));
        const { closed } = await openSocket(elsewhere);
        const changed = await api('/session/password', {
          method: 'POST',
          cookie: user.cookie,
          body: JSON.stringify({
            currentPassword: user.password,
            newPassword: 'yet another passphrase',
          }),
        });
        expect(changed.status).toBe(204);
        expect(await closed).toBe(4401);
        expect((await api('/session', { cookie: elsewhere })).status).toBe(401);
        expect((await api('/session', { cookie: user.cookie })).status).toBe(200);
      });

      it('keeps one enabled admin, even when two admins demote each other at once', async () => {
        const { store, cleanup } = await openTestStore(kind);
        try {
          const users = new UserStore(store.database, { clock: Date.now, sessionMs: 60_000 });
          const first = (await users.ensureAdmin())!;
          const last = await users
            .update(first.username, { role: 'viewer' })
            .catch((e: Error) => e);
          expect(last).toBeInstanceOf(EarshotError);
          expect((last as EarshotError).status).toBe(409);
          await users.create({
            username: 'second',
            displayName: 'S',
            role: 'admin',
            campaignIds: [],
          });
          const outcomes = await Promise.allSettled([
            users.update('admin', { disabled: true }),
            users.update('second', { role: 'supervisor' }),
          ]);
          expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
          const admins = (await users.list()).filter((u) => u.role === 'admin' && !u.disabled);
          expect(admins).toHaveLength(1);
        } finally {
          await cleanup();
        }
      });

      it('refuses an expired session with 401', async () => {
        const user = await signedInUser(earshot, base, { username: 'expiring', role: 'viewer' });
        expect((await api('/session', { cookie: user.cookie })).status).toBe(200);
        clock.now += 3_600_000; // the session lasts one hour (--session-hours 1)
        const refused = await api('/session', { cookie: user.cookie });
        expect(refused.status).toBe(401);
        expect(((await refused.json()) as { detail: string }).detail).toBe('Session expired');
      });

      it('closes a socket at the moment its session expires', async () => {
        const short = await createEarshot(
          loadConfig({ 'data-dir': 'memory://', port: '0', 'session-hours': '0.001' }, {}),
          pino({ level: 'silent' }),
        );
        try {
          const shortBase = await short.listen();
          const user = await signedInUser(short, shortBase, { username: 'brief', role: 'viewer' });
          const opened = Date.now();
          const socket = new WebSocket(`${shortBase.replace('http', 'ws')}/api/v1/realtime`, {
            headers: { cookie: user.cookie },
          });
          const code = await new Promise<number>((resolve) => socket.on('close', resolve));
          expect(code).toBe(4401);
          expect(Date.now() - opened).toBeLessThan(3_700); // 3.6 s sessions
          const refused = await fetch(`${shortBase}/api/v1/session`, {
            headers: { cookie: user.cookie },
          });
          expect(refused.status).toBe(401);
        } finally {
          await short.close();
        }
      });

      it('takes a username only: a user id or an id-shaped string is just a wrong username', async () => {
        const user = await signedInUser(earshot, base, { username: 'by-name', role: 'viewer' });
        expect((await signIn(base, user.id, user.password)).status).toBe(401);
        expect((await signIn(base, user.id.toUpperCase(), user.password)).status).toBe(401);
        expect((await signIn(base, '-'.repeat(36), 'whatever')).status).toBe(401);
      });

      it('sets Secure and reads the client address only when told to trust a proxy', async () => {
        const user = await signedInUser(earshot, base, { username: 'proxied', role: 'viewer' });
        const headers = {
          'content-type': 'application/json',
          'x-forwarded-proto': 'https',
          'x-forwarded-for': '203.0.113.9',
        };
        const body = JSON.stringify({ username: 'proxied', password: user.password });
        const direct = await fetch(`${base}/api/v1/session`, { method: 'POST', headers, body });
        expect(direct.headers.get('set-cookie')).not.toContain('Secure');
        const behind = await createEarshot(
          loadConfig({ 'data-dir': 'memory://', port: '0', 'trust-proxy': true }, {}),
          pino({ level: 'silent' }),
        );
        try {
          const behindBase = await behind.listen();
          const person = await signedInUser(behind, behindBase, { username: 'p', role: 'viewer' });
          const response = await fetch(`${behindBase}/api/v1/session`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ username: 'p', password: person.password }),
          });
          expect(response.headers.get('set-cookie')).toContain('Secure');
          const [latest] = await behind.audit.list({ event: 'sign_in', limit: 1 });
          expect(latest!.ip).toBe('203.0.113.9');
        } finally {
          await behind.close();
        }
      });

      it('limits sign-in attempts per username with 429 and Retry-After', async () => {
        let last: Response | undefined;
        for (let i = 0; i < 6; i++) last = await signIn(base, 'guessed', `guess ${i}`);
        expect(last!.status).toBe(429);
        expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
        // Another username is not held back by it.
        expect((await signIn(base, 'someone-else', 'guess')).status).toBe(401);
      });

      it('refuses a cookie-authenticated change from another site', async () => {
        const user = await signedInUser(earshot, base, { username: 'csrf', role: 'supervisor' });
        const response = await api('/session/password', {
          method: 'POST',
          cookie: user.cookie,
          headers: { origin: 'https://evil.example' },
          body: JSON.stringify({
            currentPassword: user.password,
            newPassword: 'changed by evil!!',
          }),
        });
        expect(response.status).toBe(403);
        expect(JSON.stringify(await response.json())).toContain('(origin)');
        expect((await signIn(base, 'csrf', user.password)).status).toBe(200);
      });

      it('refuses extra fields (role, campaignIds, supervisorId) and changes nothing', async () => {
        const admin = await signedInUser(earshot, base, { username: 'boss', role: 'admin' });
        const viewer = await signedInUser(earshot, base, { username: 'climber', role: 'viewer' });
        await fetch(`${base}/api/v1/calls`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(startRequest('extra-1')),
        });
        const before = await earshot.store.database.db
          .select({ n: sql<number>`count(*)::int` })
          .from(auditLog);

        const attempts: Array<[string, string, string, unknown, string]> = [
          [
            'POST',
            '/session',
            '',
            { username: 'climber', password: viewer.password, role: 'admin' },
            'role',
          ],
          [
            'POST',
            '/session/password',
            viewer.cookie,
            { currentPassword: viewer.password, newPassword: NEW_PASSWORD + '!', role: 'admin' },
            'role',
          ],
          [
            'POST',
            '/calls/extra-1/actions',
            admin.cookie,
            { action: 'ADD_NOTE', details: 'x', supervisorId: 'someone-else' },
            'supervisorId',
          ],
          [
            'POST',
            '/calls/extra-1/actions',
            admin.cookie,
            { action: 'ADD_NOTE', details: 'x', campaignId: 'f'.repeat(8) },
            'campaignId',
          ],
          [
            'PATCH',
            `/users/${viewer.id}`,
            admin.cookie,
            { role: 'admin', passwordHash: 'x' },
            'passwordHash',
          ],
          [
            'POST',
            '/users',
            admin.cookie,
            { username: 'sneaky', displayName: 'S', role: 'viewer', mustChangePassword: false },
            'mustChangePassword',
          ],
          [
            'POST',
            '/keys',
            admin.cookie,
            { name: 'k', scopes: ['monitor'], campaigns: ['a'] },
            'campaigns',
          ],
        ];
        for (const [method, path, cookie, body, field] of attempts) {
          const response = await api(path, { method, cookie, body: JSON.stringify(body) });
          expect(response.status, path).toBe(400);
          const problem = (await response.json()) as { errors: Array<{ field: string }> };
          expect(problem.errors.map((e) => e.field).join(' '), path).toContain(field);
        }
        // Nothing changed: the viewer is still a viewer with the same password, no action,
        // no user and no key was made, and only sign-ins were audited.
        expect((await earshot.users.get('climber')).role).toBe('viewer');
        expect((await signIn(base, 'climber', viewer.password)).status).toBe(200);
        expect(earshot.calls.snapshot('extra-1')!.supervisorActions).toHaveLength(0);
        await expect(earshot.users.get('sneaky')).rejects.toThrow(/No user/);
        expect((await earshot.keys.list()).map((k) => k.name)).not.toContain('k');
        const after = await earshot.store.database.db
          .select({ n: sql<number>`count(*)::int` })
          .from(auditLog);
        const added = (await auditEntries()).slice(0, after[0]!.n - before[0]!.n);
        expect(added.map((e) => e.event)).toEqual(['sign_in']);
      });

      it('audits sign-ins, refusals, actions and changes, with no transcript text or secrets', async () => {
        const admin = await signedInUser(earshot, base, { username: 'auditor', role: 'admin' });
        const viewer = await signedInUser(earshot, base, {
          username: 'watcher',
          role: 'viewer',
          campaignIds: [salesId],
        });
        await signIn(base, 'watcher', 'wrong password');
        // A refused action, a supervisor action with a note that quotes the customer, and config changes.
        await fetch(`${base}/api/v1/calls`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(startRequest('audit-1')),
        });
        await fetch(`${base}/api/v1/calls/audit-1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            events: [
              {
                type: 'transcript',
                seq: 1,
                segmentId: 's1',
                speaker: 'customer',
                text: 'My mother maiden name is Quibbleworth',
                isFinal: true,
                timestamp: '0:03',
              },
            ],
          }),
        });
        expect(
          (
            await api('/calls/audit-1/actions', {
              method: 'POST',
              cookie: viewer.cookie,
              body: JSON.stringify({ action: 'END_CALL' }),
            })
          ).status,
        ).toBe(403);
        expect(
          (
            await api('/calls/audit-1/actions', {
              method: 'POST',
              cookie: admin.cookie,
              body: JSON.stringify({ action: 'ADD_NOTE', details: 'Customer said Quibbleworth' }),
            })
          ).status,
        ).toBe(201);
        const madeKey = await api('/keys', {
          method: 'POST',
          cookie: admin.cookie,
          body: JSON.stringify({ name: 'wallboard tv', scopes: ['monitor'] }),
        });
        const { key } = (await madeKey.json()) as { key: string };
        const madeUser = await api('/users', {
          method: 'POST',
          cookie: admin.cookie,
          body: JSON.stringify({ username: 'newbie', displayName: 'Newbie', role: 'supervisor' }),
        });
        const { password } = (await madeUser.json()) as { password: string };
        await api('/users/newbie', {
          method: 'PATCH',
          cookie: admin.cookie,
          body: JSON.stringify({ role: 'viewer' }),
        });

        // A password typed into the username field is not written down.
        await signIn(base, 'Hunter2-typed-in-the-wrong-field', 'x');
        // Only admins read the log.
        expect((await api('/audit', { cookie: viewer.cookie })).status).toBe(403);
        const read = await api('/audit?limit=500', { cookie: admin.cookie });
        expect(read.status).toBe(200);
        const { entries } = (await read.json()) as { entries: AuditEntry[] };
        const events = entries.map((e) => e.event);
        for (const event of [
          'sign_in',
          'sign_in_failed',
          'password_changed',
          'access_refused',
          'supervisor_action',
          'key_created',
          'user_created',
          'user_updated',
        ] as const) {
          expect(events, event).toContain(event);
        }
        // A failed sign-in names the account tried, when it exists.
        expect(
          entries.find((e) => e.event === 'sign_in_failed' && e.target === 'watcher'),
        ).toMatchObject({ actorKind: 'anonymous' });
        expect(
          entries.find((e) => e.event === 'access_refused' && e.target?.includes('actions')),
        ).toMatchObject({
          target: 'POST /api/v1/calls/:callId/actions',
          detail: { status: 403, needed: 'act:END_CALL', callId: 'audit-1' },
        });
        expect(entries.find((e) => e.event === 'supervisor_action')).toMatchObject({
          actorName: 'auditor',
          target: 'audit-1',
          detail: { action: 'ADD_NOTE' },
        });
        // Nothing said on the call, no note text, no password, key or session token.
        const everything = JSON.stringify(entries);
        expect(entries.some((e) => e.target === '(unknown user)')).toBe(true);
        for (const secret of [
          'hunter2-typed-in-the-wrong-field',
          'Quibbleworth',
          password,
          key,
          key.slice(key.indexOf('_', 'esk_'.length) + 1), // the secret, which may hold `_`
          NEW_PASSWORD,
          admin.cookie.split('=')[1]!,
        ]) {
          expect(everything).not.toContain(secret);
        }
        // Append-only: the database refuses to change or delete an entry.
        await expect(
          earshot.store.database.db.update(auditLog).set({ event: 'sign_in' }),
        ).rejects.toThrow();
        await expect(earshot.store.database.db.delete(auditLog)).rejects.toThrow();
      });

      it('rolls a change back when its audit entry cannot be written: both commit or neither', async () => {
        const admin = await signedInUser(earshot, base, { username: 'atomic', role: 'admin' });
        const existing = await earshot.users.create({
          username: 'audit-fails-later',
          displayName: 'Before',
          role: 'viewer',
          campaignIds: [],
        });
        // Signed in, and a call started, before the log starts refusing.
        const leaver = await signedInUser(earshot, base, {
          username: 'audit-fails-out',
          role: 'viewer',
        });
        const signingIn = await earshot.users.create({
          username: 'audit-fails-in',
          displayName: 'Sign-in',
          role: 'viewer',
          campaignIds: [],
        });
        const call = await fetch(`${base}/api/v1/calls`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(startRequest('audit-fails-call')),
        });
        expect(call.status).toBe(201);
        const callRowId = ((await call.json()) as { call: { _id: string } }).call._id;
        // The audit log refuses entries about, or made by, anything named "audit-fails…".
        await earshot.store.database.db.execute(sql`
          CREATE FUNCTION refuse_audit_fails() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            IF NEW.target LIKE 'audit-fails%' OR NEW.detail->>'name' LIKE 'audit-fails%'
               OR NEW.actor_name LIKE 'audit-fails%' THEN
              RAISE EXCEPTION 'audit entry refused';
            END IF;
            RETURN NEW;
          END $$`);
        await earshot.store.database.db.execute(sql`
          CREATE TRIGGER refuse_audit_fails BEFORE INSERT ON audit_log
          FOR EACH ROW EXECUTE FUNCTION refuse_audit_fails()`);
        try {
          const post = (path: string, body: unknown) =>
            api(path, { method: 'POST', cookie: admin.cookie, body: JSON.stringify(body) });
          const user = await post('/users', {
            username: 'audit-fails',
            displayName: 'Nobody',
            role: 'viewer',
            campaignIds: [],
          });
          const key = await post('/keys', { name: 'audit-fails', scopes: ['ingest'] });
          const campaign = await post('/campaigns', { ...SALES_CAMPAIGN, name: 'audit-fails' });
          const update = await api(`/users/${existing.user.id}`, {
            method: 'PATCH',
            cookie: admin.cookie,
            body: JSON.stringify({ displayName: 'After' }),
          });
          // A supervisor's action, a sign-in and a sign-out.
          const action = await post('/calls/audit-fails-call/actions', {
            action: 'ADD_NOTE',
            details: 'kept only with its entry',
          });
          const signedIn = await signIn(base, 'audit-fails-in', signingIn.password);
          const signedOut = await api('/session', { method: 'DELETE', cookie: leaver.cookie });
          for (const response of [user, key, campaign, update, action, signedIn, signedOut])
            expect(response.status).toBe(500);

          // Nothing was created.
          expect((await earshot.users.list()).map((u) => u.username)).not.toContain('audit-fails');
          expect((await earshot.keys.list()).map((k) => k.name)).not.toContain('audit-fails');
          expect(await earshot.store.campaigns.findByName('audit-fails')).toBeUndefined();
          expect((await earshot.users.get('audit-fails-later')).displayName).toBe('Before');
          // No action row, no annotation: nothing for the platform or the notes search.
          const db = earshot.store.database.db;
          expect(
            await db
              .select()
              .from(supervisorActions)
              .where(eq(supervisorActions.liveCallId, callRowId)),
          ).toEqual([]);
          expect(
            await db
              .select()
              .from(callAnnotations)
              .where(eq(callAnnotations.callId, 'audit-fails-call')),
          ).toEqual([]);
          // No session was opened, and the one that stayed open still works.
          expect(
            await db
              .select()
              .from(sessionsTable)
              .where(eq(sessionsTable.userId, signingIn.user.id)),
          ).toEqual([]);
          expect((await api('/session', { cookie: leaver.cookie })).status).toBe(200);

          // A change that the log accepts still commits with its entry.
          const kept = await post('/users', {
            username: 'audit-ok',
            displayName: 'Somebody',
            role: 'viewer',
            campaignIds: [],
          });
          expect(kept.status).toBe(201);
          expect(
            (await auditEntries()).some(
              (e) => e.event === 'user_created' && e.target === 'audit-ok',
            ),
          ).toBe(true);
        } finally {
          await earshot.store.database.db.execute(
            sql`DROP TRIGGER refuse_audit_fails ON audit_log`,
          );
          await earshot.store.database.db.execute(sql`DROP FUNCTION refuse_audit_fails()`);
        }
      });

      it('deletes sessions that ended more than the retention period ago, at the retention sweep', async () => {
        const rowsOf = (userId: string) =>
          earshot.store.database.db
            .select()
            .from(sessionsTable)
            .where(eq(sessionsTable.userId, userId));
        const leaver = await signedInUser(earshot, base, { username: 'tidy-out', role: 'viewer' });
        expect((await api('/session', { method: 'DELETE', cookie: leaver.cookie })).status).toBe(
          204,
        );
        const expiring = await signedInUser(earshot, base, {
          username: 'tidy-expiring',
          role: 'viewer',
        });
        expect(await rowsOf(leaver.id)).toHaveLength(1);
        expect(await rowsOf(expiring.id)).toHaveLength(1);

        // Retention is 60 minutes (the default) and a session lasts one hour here.
        clock.now += 61 * 60_000;
        const active = await signedInUser(earshot, base, {
          username: 'tidy-active',
          role: 'viewer',
        });
        await earshot.sweeper.runOnce();
        expect(await rowsOf(leaver.id)).toHaveLength(0); // signed out 61 minutes ago
        expect(await rowsOf(expiring.id)).toHaveLength(1); // expired 1 minute ago
        expect(await rowsOf(active.id)).toHaveLength(1);
        expect((await api('/session', { cookie: active.cookie })).status).toBe(200);

        clock.now += 60 * 60_000;
        await earshot.sweeper.runOnce();
        expect(await rowsOf(expiring.id)).toHaveLength(0); // expired 61 minutes ago
        expect(await rowsOf(active.id)).toHaveLength(1); // expired just now
      });
    },
  );
}
