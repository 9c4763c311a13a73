// Who may see and do what. People sign in as users with one role; machines use API keys with
// scopes. Both come down to a set of permissions and a campaign scope, checked by the server
// on every route and topic and used by the console to hide what a user may not do.
import { z } from 'zod';
import { SUPERVISOR_ACTIONS, type SupervisorActionKind } from './literals.ts';

export const ROLES = ['admin', 'supervisor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const API_KEY_SCOPES = ['ingest', 'manage', 'monitor', 'metrics'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export type Permission =
  /** Stream a call's events in (the voice pipeline). */
  | 'ingest'
  /** Watch calls: the wallboard, a call's topic, its actions, notes and flags. */
  | 'calls:watch'
  /** One permission per supervisor action. */
  | `act:${SupervisorActionKind}`
  | 'campaigns:read'
  | 'campaigns:write'
  /** Users, API keys and the audit log. */
  | 'admin'
  /** The process's operational metrics, for Prometheus (no call data in them). */
  | 'metrics:read';

const ACT_ALL = SUPERVISOR_ACTIONS.map((action) => `act:${action}` as const);

/** A viewer watches but cannot act; every action needs supervisor or admin. */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: ['calls:watch', ...ACT_ALL, 'campaigns:read', 'campaigns:write', 'admin', 'metrics:read'],
  supervisor: ['calls:watch', ...ACT_ALL, 'campaigns:read'],
  viewer: ['calls:watch', 'campaigns:read'],
};

/**
 * Keys serve machines: the pipeline ingests, automation manages campaigns, a board monitors,
 * a Prometheus server scrapes metrics.
 */
export const SCOPE_PERMISSIONS: Record<ApiKeyScope, readonly Permission[]> = {
  ingest: ['ingest'],
  manage: ['campaigns:read', 'campaigns:write'],
  monitor: ['calls:watch', ...ACT_ALL],
  metrics: ['metrics:read'],
};

/** Every campaign, or the listed campaign ids only. */
export type CampaignScope = 'all' | readonly string[];

/** Admins see every campaign; supervisors and viewers only the campaigns assigned to them. */
export function campaignScopeOf(role: Role, campaignIds: readonly string[]): CampaignScope {
  return role === 'admin' ? 'all' : campaignIds;
}

/**
 * Whether a scope covers a call's campaign. A call without a campaign is visible only to an
 * unrestricted scope: it belongs to nobody's team.
 */
export function scopeCovers(scope: CampaignScope, campaignId: string | undefined | null): boolean {
  if (scope === 'all') return true;
  return campaignId !== undefined && campaignId !== null && scope.includes(campaignId);
}

const username = z
  .string()
  .trim()
  .min(2)
  .max(64)
  .regex(/^[a-z0-9._-]+$/, 'lower-case letters, digits, dot, dash and underscore only');
/** Long enough to resist guessing; any characters, including spaces (passphrases welcome). */
const newPassword = z.string().min(12, 'at least 12 characters').max(200);
const campaignIds = z.array(z.uuid()).max(500);

export const signInRequest = z.strictObject({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(200),
});
export type SignInRequest = z.infer<typeof signInRequest>;

export const changePasswordRequest = z.strictObject({
  currentPassword: z.string().min(1).max(200),
  newPassword,
});

export const createUserRequest = z.strictObject({
  username,
  displayName: z.string().trim().min(1).max(120),
  role: z.enum(ROLES),
  campaignIds: campaignIds.default([]),
});
export type CreateUserRequest = z.infer<typeof createUserRequest>;

export const updateUserRequest = z
  .strictObject({
    displayName: z.string().trim().min(1).max(120).optional(),
    role: z.enum(ROLES).optional(),
    campaignIds: campaignIds.optional(),
    disabled: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'Nothing to change' });
export type UpdateUserRequest = z.infer<typeof updateUserRequest>;

export const createKeyRequest = z.strictObject({
  name: z.string().trim().min(1).max(120),
  scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(API_KEY_SCOPES.length),
  expiresInDays: z.number().positive().max(3650).optional(),
});
export type CreateKeyRequest = z.infer<typeof createKeyRequest>;

/** A user as the API shows it: never the password hash. */
export interface UserInfo {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  campaignIds: string[];
  /** Set on a one-time password: every route but changing it answers 403 until it is changed. */
  mustChangePassword: boolean;
  disabled: boolean;
  createdAt: number;
}

/** An API key as the API shows it: never its secret. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  /** The public part of the key: `esk_<prefix>_...`. */
  prefix: string;
  scopes: ApiKeyScope[];
  createdAt: number;
  expiresAt?: number;
  revokedAt?: number;
}

/** Who a request is from, as GET /session describes it to the console. */
export interface SessionInfo {
  user: UserInfo;
  permissions: Permission[];
  expiresAt: number;
}

export const AUDIT_EVENTS = [
  'sign_in',
  'sign_in_failed',
  'sign_out',
  'password_changed',
  'access_refused',
  'supervisor_action',
  'user_created',
  'user_updated',
  'password_reset',
  'key_created',
  'key_revoked',
  'campaign_created',
  'campaign_updated',
] as const;
export type AuditEvent = (typeof AUDIT_EVENTS)[number];

/** One audit entry. It names who, what and which target; it never holds transcript text or secrets. */
export interface AuditEntry {
  id: string;
  at: number;
  event: AuditEvent;
  actorKind: 'user' | 'api-key' | 'anonymous' | 'system';
  actorId?: string;
  actorName?: string;
  /** What was acted on: a call id, a user name, a key id, a route. */
  target?: string;
  /** Small, non-secret facts: the action kind, the refused permission, changed field names. */
  detail?: Record<string, string | number | boolean | string[]>;
  ip?: string;
}

export const auditQuery = z.strictObject({
  event: z.enum(AUDIT_EVENTS).optional(),
  /** Entries before this time (ms since the epoch), for paging back. */
  before: z.coerce.number().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
