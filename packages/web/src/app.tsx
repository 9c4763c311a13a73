// The console: a connection banner, the wallboard, and the monitor modal when the URL names a
// call (/calls/<callId>), so a link to a call can be shared. Without a key, a sign-in form.
import { useEffect, useState } from 'react';
import { CallMonitorModal } from './monitor/call-monitor-modal.tsx';
import { disconnect, useConnection } from './realtime.ts';
import { currentToken, signIn, signOut } from './session.ts';
import { Wallboard } from './wallboard.tsx';

function callIdFromPath(path: string): string | undefined {
  const match = /^\/calls\/([^/]+)$/.exec(path);
  return match ? decodeURIComponent(match[1]!) : undefined;
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

function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  return (
    <main className="sign-in">
      <h1>Earshot</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          signIn(key);
          onSignedIn();
        }}
      >
        <label>
          Supervisor key
          <input
            type="password"
            value={key}
            required
            autoComplete="off"
            placeholder="esk_…"
            onChange={(e) => setKey(e.target.value)}
          />
        </label>
        <button type="submit" className="primary">
          Sign in
        </button>
        <p className="muted">
          <code>npm start</code> prints a link that signs you in, or create a key with{' '}
          <code>earshot keys create --name you --scope monitor</code>.
        </p>
      </form>
    </main>
  );
}

export function App() {
  const [path, navigate] = usePath();
  const [signedIn, setSignedIn] = useState(currentToken() !== undefined);
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const callId = callIdFromPath(path);
  return (
    <div className="console">
      <nav className="top-bar" aria-label="Console">
        <span className="brand">Earshot</span>
        <ConnectionBanner />
        <button
          type="button"
          onClick={() => {
            signOut();
            disconnect();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </nav>
      <main>
        <Wallboard onOpen={(id) => navigate(`/calls/${encodeURIComponent(id)}`)} />
      </main>
      {callId && <CallMonitorModal key={callId} callId={callId} onClose={() => navigate('/')} />}
    </div>
  );
}
