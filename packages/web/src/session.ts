// Who the console is signed in as. Sign-in posts a username and password; the server answers
// with an HttpOnly session cookie that scripts cannot read, and the browser sends it with
// every request and on the realtime socket. GET /session says who we are and what we may do.
import type { Permission, Problem, SessionInfo } from '@earshot/protocol';
import { createContext, useContext } from 'react';

export function realtimeUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}/api/v1/realtime`;
}

/** An API error as the server describes it (application/problem+json). */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

/** One API request with the session cookie; resolves with the body or throws ApiError. */
export async function api<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body !== undefined ? { 'content-type': 'application/json', ...headers } : headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (response.status === 204) return undefined as T;
  const data: unknown = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(
      (data as Problem).title
        ? (data as Problem)
        : ({
            type: 'about:blank',
            title: response.statusText || 'Request failed',
            status: response.status,
            detail: `HTTP ${response.status}`,
            kind: 'internal',
          } as Problem),
    );
  }
  return data as T;
}

export function postJson<T>(
  path: string,
  body: unknown,
  headers?: Record<string, string>,
): Promise<T> {
  return api<T>('POST', path, body, headers);
}

/** The message to show for a failed request: the first field named, or the detail. */
export function problemText(error: unknown): string {
  const problem = error instanceof ApiError ? error.problem : undefined;
  const issue = problem?.errors?.[0];
  return issue ? `${issue.field}: ${issue.message}` : (problem?.detail ?? String(error));
}

/** The current session, or undefined when signed out (or the session ended). */
export async function loadSession(): Promise<SessionInfo | undefined> {
  try {
    return await api<SessionInfo>('GET', '/api/v1/session');
  } catch (error) {
    if (error instanceof ApiError && error.problem.status === 401) return undefined;
    throw error;
  }
}

export function signIn(username: string, password: string): Promise<SessionInfo> {
  return api<SessionInfo>('POST', '/api/v1/session', { username, password });
}

/**
 * Ends the session on the server. Throws if the server did not end it (a 503 while it cannot
 * write the audit log, a network error): the cookie would still sign in whoever reloads, so
 * the console must not look signed out. A session that had already ended (401) is signed out.
 */
export async function signOut(): Promise<void> {
  try {
    await api('DELETE', '/api/v1/session');
  } catch (error) {
    if (error instanceof ApiError && error.problem.status === 401) return;
    throw error;
  }
}

export const SessionContext = createContext<SessionInfo | undefined>(undefined);

/** Whether the signed-in user holds a permission (the server checks again on every request). */
export function useCan(): (permission: Permission) => boolean {
  const session = useContext(SessionContext);
  return (permission) => session?.permissions.includes(permission) ?? false;
}
