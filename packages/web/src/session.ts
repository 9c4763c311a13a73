// Who the console is signed in as. Until password sign-in exists, a supervisor signs in with a
// monitor-scope key: `npm start` prints a link carrying one in the URL fragment (never sent to
// the server in a request line), which is moved to sessionStorage and removed from the URL.
import type { Problem } from '@earshot/protocol';

const STORAGE_KEY = 'earshot.token';

export function takeTokenFromUrl(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!match) return;
  sessionStorage.setItem(STORAGE_KEY, decodeURIComponent(match[1]!));
  history.replaceState(null, '', window.location.pathname + window.location.search);
}

export function currentToken(): string | undefined {
  return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
}

export function signIn(token: string): void {
  sessionStorage.setItem(STORAGE_KEY, token.trim());
}

export function signOut(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

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

/** POSTs JSON with the session's key; resolves with the body or throws ApiError. */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${currentToken() ?? ''}`,
    },
    body: JSON.stringify(body),
  });
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
          } as Problem),
    );
  }
  return data as T;
}
