// The console: a connection banner, the wallboard, and the monitor modal when the URL names a
// call (/calls/<callId>), so a link to a call can be shared; /admin for admins. Signed out, a
// sign-in form; on a one-time password, the form that replaces it.
import type { SessionInfo } from '@earshot/protocol';
import { useEffect, useState } from 'react';
import { AdminScreen } from './admin/admin-screen.tsx';
import { ErrorLine } from './error-line.tsx';
import { CallMonitorModal } from './monitor/call-monitor-modal.tsx';
import { disconnect, realtime, useConnection } from './realtime.ts';
import { api, loadSession, problemText, SessionContext, signIn, signOut } from './session.ts';
import { Wallboard } from './wallboard.tsx';

function callIdFromPath(path: string): string | undefined {
  const match = /^\/calls\/([^/]+)$/.exec(path);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return undefined; // a malformed link (/calls/%E0) names no call: the wallboard it is
  }
}

function usePath(): [string, (path: string) => void] {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  return [
    path,
    (next) => {
      if (next !== window.location.pathname) history.pushState(null, '', next);
      setPath(next);
    },
  ];
}

/** Shows the connection state at all times; a resync is flagged for a few seconds. */
function ConnectionBanner() {
  const connection = useConnection();
  const [, rerender] = useState(0);
  const resynced = connection.resyncedAt !== undefined && Date.now() - connection.resyncedAt < 5000;
  useEffect(() => {
    if (!resynced) return;
    const timer = setTimeout(() => rerender((n) => n + 1), 5000);
    return () => clearTimeout(timer);
  }, [resynced]);
  const label =
    connection.state === 'live'
      ? resynced
        ? 'Live · resynced'
        : 'Live'
      : connection.state === 'reconnecting'
        ? 'Reconnecting…'
        : connection.state === 'connecting'
          ? 'Connecting…'
          : 'Disconnected';
  return (
    <div
      className={`connection connection-${connection.state}${resynced ? ' resynced' : ''}`}
      role="status"
      aria-live="polite"
      data-state={connection.state}
      title={connection.detail}
    >
      <span className="dot" aria-hidden="true" /> {label}
      {connection.state === 'closed' && connection.detail && (
        <span className="muted"> ({connection.detail})</span>
      )}
    </div>
  );
}

/** A labelled password input. */
function PasswordField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  autoComplete: 'current-password' | 'new-password';
  minLength?: number;
}) {
  return (
    <label>
      {props.label}
      <input
        type="password"
        value={props.value}
        required
        autoComplete={props.autoComplete}
        {...(props.minLength ? { minLength: props.minLength } : {})}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </label>
  );
}

function SignIn({ onSignedIn }: { onSignedIn: (session: SessionInfo) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <main className="sign-in">
      <h1>Earshot</h1>
      <form
        aria-label="Sign in"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          signIn(username, password)
            .then(onSignedIn, (failure: unknown) => setError(problemText(failure)))
            .finally(() => setBusy(false));
        }}
      >
        <label>
          Username
          <input
            value={username}
            required
            autoComplete="username"
            autoCapitalize="none"
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <PasswordField
          label="Password"
          value={password}
          onChange={setPassword}
          autoComplete="current-password"
        />
        <ErrorLine error={error} />
        <button type="submit" className="primary" disabled={busy}>
          Sign in
        </button>
        <p className="muted">
          The first start of the server prints a one-time password for <code>admin</code>. An admin
          creates everyone else&apos;s account.
        </p>
      </form>
    </main>
  );
}

/** A one-time password must be replaced before anything else. */
function ChangePassword({ onChanged }: { onChanged: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | undefined>();
  return (
    <main className="sign-in">
      <h1>Choose your password</h1>
      <form
        aria-label="Choose your password"
        onSubmit={(e) => {
          e.preventDefault();
          if (next !== repeat) return setError('The new passwords differ');
          setError(undefined);
          api('POST', '/api/v1/session/password', {
            currentPassword: current,
            newPassword: next,
          }).then(onChanged, (failure: unknown) => setError(problemText(failure)));
        }}
      >
        <p className="muted">You signed in with a one-time password. Choose your own to go on.</p>
        <PasswordField
          label="One-time password"
          value={current}
          onChange={setCurrent}
          autoComplete="current-password"
        />
        <PasswordField
          label="New password (at least 12 characters)"
          value={next}
          onChange={setNext}
          autoComplete="new-password"
          minLength={12}
        />
        <PasswordField
          label="New password again"
          value={repeat}
          onChange={setRepeat}
          autoComplete="new-password"
        />
        <ErrorLine error={error} />
        <button type="submit" className="primary">
          Save and continue
        </button>
      </form>
    </main>
  );
}

export function App() {
  const [path, navigate] = usePath();
  const [session, setSession] = useState<SessionInfo | undefined | 'loading'>('loading');
  const connection = useConnection();
  const refresh = () => loadSession().then(setSession, () => setSession(undefined));

  useEffect(() => {
    void refresh();
  }, []);
  // A socket closed for its credentials means the session ended (expired, signed out
  // elsewhere, or changed by an admin): ask the server, and show sign-in if so. While the
  // socket keeps failing to reconnect, ask every 10 s: a browser reports an upgrade refused
  // with 401 as a plain drop, so a session that ended while the link was down (a laptop
  // asleep) would otherwise leave the console reconnecting for ever.
  useEffect(() => {
    if (session === 'loading' || session === undefined) return;
    if (connection.state !== 'closed' && connection.state !== 'reconnecting') return;
    const check = () =>
      void loadSession().then(
        (current) => {
          if (!current) {
            disconnect();
            setSession(undefined);
          }
        },
        () => undefined, // the server is unreachable: the banner says so; ask again later
      );
    check();
    if (connection.state === 'closed') return;
    const timer = setInterval(check, 10_000);
    return () => clearInterval(timer);
  }, [connection.state, session]);
  const [signOutError, setSignOutError] = useState<string | undefined>();

  // Signed in, the realtime connection is open on every screen (the banner reports it).
  const signedIn =
    session !== 'loading' && session !== undefined && !session.user.mustChangePassword;
  useEffect(() => {
    if (signedIn) realtime();
  }, [signedIn]);

  if (session === 'loading') return null;
  if (!session) return <SignIn onSignedIn={setSession} />;
  if (session.user.mustChangePassword) return <ChangePassword onChanged={() => void refresh()} />;
  const callId = callIdFromPath(path);
  const admin = session.permissions.includes('admin');
  const onAdmin = path === '/admin' && admin;
  return (
    <SessionContext.Provider value={session}>
      <div className="console">
        <nav className="top-bar" aria-label="Console">
          <span className="brand">Earshot</span>
          {admin && (
            <div className="tabs">
              <a
                href="/"
                aria-current={onAdmin ? undefined : 'page'}
                onClick={(e) => {
                  e.preventDefault();
                  navigate('/');
                }}
              >
                Wallboard
              </a>
              <a
                href="/admin"
                aria-current={onAdmin ? 'page' : undefined}
                onClick={(e) => {
                  e.preventDefault();
                  navigate('/admin');
                }}
              >
                Admin
              </a>
            </div>
          )}
          <ConnectionBanner />
          <span className="who" data-testid="who">
            {session.user.displayName} <span className="muted">· {session.user.role}</span>
          </span>
          <button
            type="button"
            onClick={() => {
              setSignOutError(undefined);
              signOut().then(
                () => {
                  disconnect();
                  setSession(undefined);
                },
                (error: unknown) =>
                  setSignOutError(
                    `Could not sign out (${problemText(error)}): you are still signed in. Try again.`,
                  ),
              );
            }}
          >
            Sign out
          </button>
        </nav>
        {signOutError && (
          <p className="error sign-out-error" role="alert">
            {signOutError}
          </p>
        )}
        <main>
          {onAdmin ? (
            <AdminScreen />
          ) : (
            <Wallboard onOpen={(id) => navigate(`/calls/${encodeURIComponent(id)}`)} />
          )}
        </main>
        {callId && <CallMonitorModal key={callId} callId={callId} onClose={() => navigate('/')} />}
      </div>
    </SessionContext.Provider>
  );
}
