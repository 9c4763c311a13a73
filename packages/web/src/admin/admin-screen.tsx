// The admin screen: users (role, campaigns, disable, reset password), API keys (create,
// revoke) and the audit log. Secrets the server returns once, a one-time password or a new
// key, are shown once in a notice and kept nowhere else.
import {
  API_KEY_SCOPES,
  AUDIT_EVENTS,
  ROLES,
  type ApiKeyInfo,
  type ApiKeyScope,
  type AuditEntry,
  type Campaign,
  type Role,
  type UserInfo,
} from '@earshot/protocol';
import { useCallback, useEffect, useState } from 'react';
import { ErrorLine } from '../error-line.tsx';
import { api, problemText } from '../session.ts';

/** A secret shown once: the one-time password of a user, or a new API key. */
interface Secret {
  label: string;
  value: string;
}

function when(ms: number): string {
  return new Date(ms).toLocaleString();
}

function useLoad<T>(load: () => Promise<T>): [T | undefined, () => void, string | undefined] {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<string>();
  const reload = useCallback(() => {
    load().then(
      (v) => {
        setValue(v);
        setError(undefined);
      },
      (e: unknown) => setError(problemText(e)),
    );
  }, [load]);
  useEffect(reload, [reload]);
  return [value, reload, error];
}

/** Runs a change, then `done`; a failure's message is kept to show. */
function useAction(
  done: () => void,
): [string | undefined, (work: () => Promise<unknown>) => Promise<void>] {
  const [failure, setFailure] = useState<string>();
  const run = async (work: () => Promise<unknown>) => {
    setFailure(undefined);
    try {
      await work();
      done();
    } catch (e) {
      setFailure(problemText(e));
    }
  };
  return [failure, run];
}

const loadUsers = () => api<{ users: UserInfo[] }>('GET', '/api/v1/users').then((r) => r.users);
const loadCampaigns = () =>
  api<{ campaigns: Campaign[] }>('GET', '/api/v1/campaigns').then((r) => r.campaigns);
const loadKeys = () => api<{ keys: ApiKeyInfo[] }>('GET', '/api/v1/keys').then((r) => r.keys);

export function AdminScreen() {
  const [secret, setSecret] = useState<Secret>();
  const [auditVersion, setAuditVersion] = useState(0);
  const changed = () => setAuditVersion((n) => n + 1);
  return (
    <div className="admin">
      <h1>Administration</h1>
      {secret && (
        <div className="secret" role="alert" data-testid="secret">
          <strong>{secret.label}</strong>
          <code>{secret.value}</code>
          <span className="muted">Copy it now: it is not shown again.</span>
          <button type="button" onClick={() => setSecret(undefined)}>
            Done
          </button>
        </div>
      )}
      <Users onSecret={setSecret} onChange={changed} />
      <Keys onSecret={setSecret} onChange={changed} />
      <AuditLog version={auditVersion} />
    </div>
  );
}

function Users({ onSecret, onChange }: { onSecret: (s: Secret) => void; onChange: () => void }) {
  const [users, reload, error] = useLoad(loadUsers);
  const [campaigns] = useLoad(loadCampaigns);
  const [form, setForm] = useState({ username: '', displayName: '', role: 'supervisor' as Role });
  const [assigned, setAssigned] = useState<string[]>([]);
  const [failure, run] = useAction(() => {
    reload();
    onChange();
  });
  const campaignName = (id: string) => campaigns?.find((c) => c._id === id)?.name ?? id;

  return (
    <section className="panel" aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <ErrorLine error={error ?? failure} />
      <table className="admin-table">
        <thead>
          <tr>
            <th>User</th>
            <th>Role</th>
            <th>Campaigns</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users?.map((user) => (
            <tr key={user.id} className={user.disabled ? 'disabled' : ''}>
              <td>
                {user.displayName} <span className="muted">({user.username})</span>
              </td>
              <td>
                <select
                  aria-label={`Role of ${user.username}`}
                  value={user.role}
                  onChange={(e) =>
                    void run(() =>
                      api('PATCH', `/api/v1/users/${user.id}`, { role: e.target.value }),
                    )
                  }
                >
                  {ROLES.map((role) => (
                    <option key={role}>{role}</option>
                  ))}
                </select>
              </td>
              <td>
                {user.role === 'admin'
                  ? 'All campaigns'
                  : user.campaignIds.map(campaignName).join(', ') || (
                      <span className="muted">None</span>
                    )}
              </td>
              <td>
                {user.disabled
                  ? 'Disabled'
                  : user.mustChangePassword
                    ? 'One-time password'
                    : 'Active'}
              </td>
              <td className="row-actions">
                <button
                  type="button"
                  onClick={() =>
                    void run(async () => {
                      const reset = await api<{ password: string }>(
                        'POST',
                        `/api/v1/users/${user.id}/password-reset`,
                      );
                      onSecret({
                        label: `One-time password for ${user.username}`,
                        value: reset.password,
                      });
                    })
                  }
                >
                  Reset password
                </button>
                <button
                  type="button"
                  className={user.disabled ? '' : 'danger'}
                  onClick={() =>
                    void run(() =>
                      api('PATCH', `/api/v1/users/${user.id}`, { disabled: !user.disabled }),
                    )
                  }
                >
                  {user.disabled ? 'Enable' : 'Disable'}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="admin-form"
        aria-label="New user"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const created = await api<{ user: UserInfo; password: string }>(
              'POST',
              '/api/v1/users',
              { ...form, campaignIds: form.role === 'admin' ? [] : assigned },
            );
            onSecret({
              label: `One-time password for ${created.user.username}`,
              value: created.password,
            });
            setForm({ username: '', displayName: '', role: 'supervisor' });
            setAssigned([]);
          });
        }}
      >
        <h3>New user</h3>
        <label>
          Username
          <input
            value={form.username}
            required
            autoComplete="off"
            onChange={(e) => setForm({ ...form, username: e.target.value })}
          />
        </label>
        <label>
          Name
          <input
            value={form.displayName}
            required
            onChange={(e) => setForm({ ...form, displayName: e.target.value })}
          />
        </label>
        <label>
          Role
          <select
            value={form.role}
            onChange={(e) => setForm({ ...form, role: e.target.value as Role })}
          >
            {ROLES.map((role) => (
              <option key={role}>{role}</option>
            ))}
          </select>
        </label>
        {form.role !== 'admin' && (
          <fieldset>
            <legend>Campaigns</legend>
            {campaigns?.map((campaign) => (
              <label key={campaign._id} className="check">
                <input
                  type="checkbox"
                  checked={assigned.includes(campaign._id)}
                  onChange={(e) =>
                    setAssigned(
                      e.target.checked
                        ? [...assigned, campaign._id]
                        : assigned.filter((id) => id !== campaign._id),
                    )
                  }
                />
                {campaign.name}
              </label>
            ))}
          </fieldset>
        )}
        <button type="submit" className="primary">
          Create user
        </button>
      </form>
    </section>
  );
}

function Keys({ onSecret, onChange }: { onSecret: (s: Secret) => void; onChange: () => void }) {
  const [keys, reload, error] = useLoad(loadKeys);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiKeyScope[]>(['ingest']);
  const [failure, run] = useAction(() => {
    reload();
    onChange();
  });
  return (
    <section className="panel" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <p className="muted small">
        For machines: <strong>ingest</strong> for the voice pipeline, <strong>manage</strong> for
        campaign automation, <strong>monitor</strong> for a wallboard screen,{' '}
        <strong>metrics</strong> for a Prometheus server. Keys see every campaign.
      </p>
      <ErrorLine error={error ?? failure} />
      <table className="admin-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Key</th>
            <th>Scopes</th>
            <th>Created</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys?.map((key) => (
            <tr key={key.id} className={key.revokedAt ? 'disabled' : ''}>
              <td>{key.name}</td>
              <td>
                <code>esk_{key.prefix}_…</code>
              </td>
              <td>{key.scopes.join(', ')}</td>
              <td>{when(key.createdAt)}</td>
              <td>
                {key.revokedAt
                  ? 'Revoked'
                  : key.expiresAt && key.expiresAt < Date.now()
                    ? 'Expired'
                    : 'Active'}
              </td>
              <td className="row-actions">
                {!key.revokedAt && (
                  <button
                    type="button"
                    className="danger"
                    onClick={() => void run(() => api('DELETE', `/api/v1/keys/${key.id}`))}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="admin-form"
        aria-label="New API key"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const created = await api<{ key: string; info: ApiKeyInfo }>('POST', '/api/v1/keys', {
              name,
              scopes,
            });
            onSecret({ label: `API key "${created.info.name}"`, value: created.key });
            setName('');
          });
        }}
      >
        <h3>New API key</h3>
        <label>
          Name
          <input value={name} required onChange={(e) => setName(e.target.value)} />
        </label>
        <fieldset>
          <legend>Scopes</legend>
          {API_KEY_SCOPES.map((scope) => (
            <label key={scope} className="check">
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(e) =>
                  setScopes(
                    e.target.checked ? [...scopes, scope] : scopes.filter((s) => s !== scope),
                  )
                }
              />
              {scope}
            </label>
          ))}
        </fieldset>
        <button type="submit" className="primary" disabled={scopes.length === 0}>
          Create key
        </button>
      </form>
    </section>
  );
}

function AuditLog({ version }: { version: number }) {
  const [event, setEvent] = useState('');
  // A new `version` (a change made on this screen) makes a new loader, so the log reloads.
  const load = useCallback(() => {
    void version;
    const query = event ? `&event=${event}` : '';
    return api<{ entries: AuditEntry[] }>('GET', `/api/v1/audit?limit=100${query}`).then(
      (r) => r.entries,
    );
  }, [event, version]);
  const [entries, , error] = useLoad(load);
  return (
    <section className="panel" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <label className="inline">
        Event{' '}
        <select value={event} onChange={(e) => setEvent(e.target.value)}>
          <option value="">All</option>
          {AUDIT_EVENTS.map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
      </label>
      <ErrorLine error={error} />
      <table className="admin-table" data-testid="audit">
        <thead>
          <tr>
            <th>When</th>
            <th>Event</th>
            <th>Who</th>
            <th>Target</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {entries?.map((entry) => (
            <tr key={entry.id}>
              <td className="num">{when(entry.at)}</td>
              <td>{entry.event}</td>
              <td>{entry.actorName ?? <span className="muted">{entry.actorKind}</span>}</td>
              <td>{entry.target}</td>
              <td className="small">{entry.detail ? JSON.stringify(entry.detail) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
