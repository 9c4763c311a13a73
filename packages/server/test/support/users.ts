// Signed-in users for tests: created with a one-time password, signed in through the API,
// and past the forced password change, holding the session cookie a browser would.
import type { Role } from '@earshot/protocol';
import type { Earshot } from '../../src/server.ts';

export const NEW_PASSWORD = 'a long enough new password';

export interface SignedInUser {
  id: string;
  username: string;
  /** `earshot_session=...`, ready for a Cookie header. */
  cookie: string;
  password: string;
}

/** The `name=value` part of a response's session cookie. */
export function sessionCookie(response: Response): string {
  const header = response.headers.get('set-cookie');
  if (!header) throw new Error(`no cookie set (HTTP ${response.status})`);
  return header.split(';')[0]!;
}

export async function signIn(base: string, username: string, password: string): Promise<Response> {
  return fetch(`${base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
}

export async function signedInUser(
  earshot: Earshot,
  base: string,
  user: { username: string; role: Role; campaignIds?: string[] },
): Promise<SignedInUser> {
  const { user: created, password } = await earshot.users.create({
    username: user.username,
    displayName: user.username,
    role: user.role,
    campaignIds: user.campaignIds ?? [],
  });
  const response = await signIn(base, user.username, password);
  const cookie = sessionCookie(response);
  const changed = await fetch(`${base}/api/v1/session/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ currentPassword: password, newPassword: NEW_PASSWORD }),
  });
  if (changed.status !== 204) throw new Error(`password change failed: ${changed.status}`);
  return { id: created.id, username: user.username, cookie, password: NEW_PASSWORD };
}
