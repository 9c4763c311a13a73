// Who a request or socket acts as, whichever way it authenticated. Routes check permissions
// and campaign scope against this one shape, never against keys or users directly.
import {
  campaignScopeOf,
  EarshotError,
  ROLE_PERMISSIONS,
  SCOPE_PERMISSIONS,
  scopeCovers,
  type ApiKeyScope,
  type CampaignScope,
  type Permission,
  type Role,
} from '@earshot/protocol';

export interface Principal {
  kind: 'api-key' | 'user';
  /** The key's or user's id: rate limits, presence and audit entries are keyed by it. */
  id: string;
  name: string;
  permissions: ReadonlySet<Permission>;
  campaigns: CampaignScope;
  /** A user's role; keys have none. */
  role?: Role;
  /** A key's scopes; users have none. */
  scopes?: readonly ApiKeyScope[];
  /** When the credentials stop working (ms since the epoch); open sockets are closed then. */
  expiresAt?: number;
  /** The session (for users) or key (for keys) id, so revoking it can close its sockets. */
  credentialId: string;
  /** A user signed in with a one-time password may only change it. */
  mustChangePassword?: boolean;
}

export function keyPrincipal(key: {
  id: string;
  name: string;
  scopes: readonly ApiKeyScope[];
  expiresAt?: number;
}): Principal {
  return {
    kind: 'api-key',
    id: key.id,
    name: key.name,
    permissions: new Set(key.scopes.flatMap((scope) => SCOPE_PERMISSIONS[scope])),
    // Keys are issued by an admin for a machine, not a person on a team: not campaign-scoped.
    campaigns: 'all',
    scopes: key.scopes,
    credentialId: key.id,
    ...(key.expiresAt !== undefined ? { expiresAt: key.expiresAt } : {}),
  };
}

export function userPrincipal(
  user: {
    id: string;
    displayName: string;
    role: Role;
    campaignIds: readonly string[];
    mustChangePassword: boolean;
  },
  session: { _id: string; expiresAt: number },
): Principal {
  return {
    kind: 'user',
    id: user.id,
    name: user.displayName,
    permissions: new Set(ROLE_PERMISSIONS[user.role]),
    campaigns: campaignScopeOf(user.role, user.campaignIds),
    role: user.role,
    credentialId: session._id,
    expiresAt: session.expiresAt,
    mustChangePassword: user.mustChangePassword,
  };
}

/** 403 unless the principal holds the permission. */
export function assertPermission(principal: Principal, permission: Permission): void {
  if (!principal.permissions.has(permission)) {
    throw new EarshotError('forbidden', `Not allowed: this needs the "${permission}" permission`, {
      fields: [{ field: '(authorization)', message: `Missing permission ${permission}` }],
    });
  }
}

/**
 * 404 unless the principal's campaigns cover the call's. A foreign call answers exactly like a
 * call that does not exist, so its existence does not leak.
 */
export function assertCanSee(
  principal: Principal,
  call: { callId: string; campaignId?: string | null } | undefined,
  callId: string,
): asserts call {
  if (!call || !scopeCovers(principal.campaigns, call.campaignId)) {
    throw new EarshotError('not_found', `No call ${callId}`);
  }
}
