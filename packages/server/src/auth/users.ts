// People and their sign-in sessions. A session token is 32 random bytes carried in an
// HttpOnly cookie; the database keeps only its SHA-256, so a leaked table signs nobody in.
// Changing a user's role, campaigns or password, or disabling them, ends their sessions:
// a narrowed permission takes effect at once, on HTTP and on open sockets.
import { randomBytes } from 'node:crypto';
import {
  EarshotError,
  type CreateUserRequest,
  type UpdateUserRequest,
  type UserInfo,
} from '@earshot/protocol';
import { and, asc, eq, isNull, lt, ne, or } from 'drizzle-orm';
import type { Database, Db } from '../store/index.ts';
import { insertMany, query, writeWith, type AlsoWrite } from '../store/rows.ts';
import { sessions, users } from '../store/schema.ts';
import {
  generatePassword,
  hashPassword,
  sha256Hex,
  verifyNothing,
  verifyPassword,
} from './passwords.ts';
import { userPrincipal, type Principal } from './principal.ts';
import type { Revocations } from './revocations.ts';

const TOKEN_PATTERN = /^ess_[A-Za-z0-9_-]{43}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function unauthorized(message: string): EarshotError {
  return new EarshotError('unauthorized', message, {
    fields: [{ field: '(session)', message }],
  });
}

type UserRow = typeof users.$inferSelect;

function toInfo(row: UserRow): UserInfo {
  return {
    id: row._id,
    username: row.username,
    displayName: row.displayName,
    role: row.role,
    campaignIds: row.campaignIds,
    mustChangePassword: row.mustChangePassword,
    disabled: row.disabledAt !== null,
    createdAt: row.createdAt,
  };
}

export class UserStore {
  private readonly db: Db;

  constructor(
    private readonly database: Pick<Database, 'db' | 'transaction'>,
    private readonly options: {
      clock: () => number;
      sessionMs: number;
      revocations?: Revocations;
    },
  ) {
    this.db = database.db;
  }

  private now(): number {
    return this.options.clock();
  }

  /**
   * Creates a user with a one-time password, returned once, to be changed at first sign-in.
   * `also` commits with the user (its audit entry).
   */
  async create(
    input: CreateUserRequest,
    also?: AlsoWrite<{ user: UserInfo; password: string }>,
  ): Promise<{ user: UserInfo; password: string }> {
    if (await this.findRow(input.username)) {
      throw new EarshotError('conflict', `A user named "${input.username}" exists`, {
        fields: [{ field: 'username', message: 'Already taken' }],
      });
    }
    const password = generatePassword();
    const passwordHash = await hashPassword(password); // before the transaction: it is slow
    const now = this.now();
    return writeWith(
      this.database,
      async (db) => {
        const [row] = await insertMany(db, users, [
          {
            username: input.username,
            displayName: input.displayName,
            role: input.role,
            campaignIds: input.campaignIds,
            passwordHash,
            mustChangePassword: true,
            createdAt: now,
            updatedAt: now,
          },
        ]);
        return { user: toInfo(row!), password };
      },
      also,
    );
  }

  /**
   * The first start: with no admin yet, creates `admin` with a one-time password and returns
   * it (to be printed once). Later starts return undefined.
   */
  async ensureAdmin(
    also?: AlsoWrite<{ user: UserInfo; password: string }>,
  ): Promise<{ username: string; password: string } | undefined> {
    const [existing] = await query(() =>
      this.db.select({ id: users._id }).from(users).where(eq(users.role, 'admin')).limit(1),
    );
    if (existing) return undefined;
    const { user, password } = await this.create(
      { username: 'admin', displayName: 'Administrator', role: 'admin', campaignIds: [] },
      also,
    );
    return { username: user.username, password };
  }

  async list(): Promise<UserInfo[]> {
    const rows = await query(() => this.db.select().from(users).orderBy(asc(users.username)));
    return rows.map(toInfo);
  }

  async get(idOrUsername: string): Promise<UserInfo> {
    const row = await this.findRow(idOrUsername);
    if (!row) throw new EarshotError('not_found', `No user ${idOrUsername}`);
    return toInfo(row);
  }

  private async findRow(idOrUsername: string): Promise<UserRow | undefined> {
    const column = UUID.test(idOrUsername) ? users._id : users.username;
    const [row] = await query(() => this.db.select().from(users).where(eq(column, idOrUsername)));
    return row;
  }

  /** By username only: sign-in never takes an id, so each account has one spelling to limit. */
  private async findByUsername(username: string): Promise<UserRow | undefined> {
    const [row] = await query(() =>
      this.db.select().from(users).where(eq(users.username, username)),
    );
    return row;
  }

  /** Whether a username belongs to someone (the audit log names only real accounts). */
  async exists(username: string): Promise<boolean> {
    return (await this.findByUsername(username.toLowerCase())) !== undefined;
  }

  /** `also` commits with the change (its audit entry). */
  async update(
    idOrUsername: string,
    patch: UpdateUserRequest,
    also?: AlsoWrite<UserInfo>,
  ): Promise<UserInfo> {
    const current = await this.get(idOrUsername);
    const demotes =
      current.role === 'admin' &&
      !current.disabled &&
      ((patch.role !== undefined && patch.role !== 'admin') || patch.disabled === true);
    const row = await query(() =>
      this.database.transaction(async (tx) => {
        if (demotes) {
          // Locks the enabled admins, so two admins demoting each other at once cannot both
          // pass this check and leave nobody to administer Earshot.
          const admins = await tx
            .select({ id: users._id })
            .from(users)
            .where(and(eq(users.role, 'admin'), isNull(users.disabledAt)))
            .for('update');
          if (admins.length <= 1) {
            throw new EarshotError('conflict', 'This is the last enabled admin', {
              fields: [{ field: patch.disabled ? 'disabled' : 'role', message: 'Keep one admin' }],
            });
          }
        }
        const [updated] = await tx
          .update(users)
          .set({
            ...(patch.displayName !== undefined ? { displayName: patch.displayName } : {}),
            ...(patch.role !== undefined ? { role: patch.role } : {}),
            ...(patch.campaignIds !== undefined ? { campaignIds: patch.campaignIds } : {}),
            ...(patch.disabled !== undefined
              ? { disabledAt: patch.disabled ? this.now() : null }
              : {}),
            updatedAt: this.now(),
          })
          .where(eq(users._id, current.id))
          .returning();
        await also?.(tx, toInfo(updated!));
        return updated!;
      }),
    );
    if (patch.role !== undefined || patch.campaignIds !== undefined || patch.disabled) {
      await this.endSessions(current.id);
    }
    return toInfo(row);
  }

  /**
   * A new one-time password (shown once); the user's sessions end. `also` commits with the
   * change (its audit entry).
   */
  async resetPassword(
    idOrUsername: string,
    also?: AlsoWrite<{ user: UserInfo; password: string }>,
  ): Promise<{ user: UserInfo; password: string }> {
    const current = await this.get(idOrUsername);
    const password = generatePassword();
    const passwordHash = await hashPassword(password); // before the transaction: it is slow
    const reset = await writeWith(
      this.database,
      async (db) => {
        const [row] = await query(() =>
          db
            .update(users)
            .set({ passwordHash, mustChangePassword: true, updatedAt: this.now() })
            .where(eq(users._id, current.id))
            .returning(),
        );
        return { user: toInfo(row!), password };
      },
      also,
    );
    await this.endSessions(current.id);
    return reset;
  }

  /**
   * Replaces a password (and lifts the one-time restriction). Every other session of the user
   * ends: whoever may have learnt the old password is signed out. `also` commits with the
   * change (its audit entry).
   */
  async changePassword(
    userId: string,
    currentPassword: string,
    next: string,
    keepSessionId?: string,
    also?: AlsoWrite<void>,
  ): Promise<void> {
    const row = await this.findRow(userId);
    if (!row || !(await verifyPassword(currentPassword, row.passwordHash))) {
      throw new EarshotError('validation', 'The current password is wrong', {
        fields: [{ field: 'currentPassword', message: 'Wrong password' }],
      });
    }
    if (currentPassword === next) {
      throw new EarshotError('validation', 'The new password must differ from the current one', {
        fields: [{ field: 'newPassword', message: 'Same as the current password' }],
      });
    }
    const passwordHash = await hashPassword(next); // before the transaction: it is slow
    await writeWith(
      this.database,
      async (db) => {
        await query(() =>
          db
            .update(users)
            .set({ passwordHash, mustChangePassword: false, updatedAt: this.now() })
            .where(eq(users._id, userId)),
        );
      },
      also,
    );
    await this.endSessions(userId, keepSessionId);
  }

  /**
   * Checks a password and opens a session. Unknown users, wrong passwords and disabled users
   * get the same answer in about the same time. `also` commits with the session (its audit
   * entry); the password is checked before the transaction opens.
   */
  async signIn(
    username: string,
    password: string,
    also?: AlsoWrite<{ principal: Principal; user: UserInfo }>,
  ): Promise<{ token: string; principal: Principal; user: UserInfo }> {
    const row = await this.findByUsername(username.toLowerCase());
    const ok = row
      ? await verifyPassword(password, row.passwordHash)
      : await verifyNothing(password);
    if (!row || !ok || row.disabledAt !== null) throw unauthorized('Wrong username or password');
    const token = `ess_${randomBytes(32).toString('base64url')}`;
    const now = this.now();
    const user = toInfo(row);
    const opened = await writeWith(
      this.database,
      async (db) => {
        const [session] = await insertMany(db, sessions, [
          {
            tokenHash: sha256Hex(token),
            userId: row._id,
            createdAt: now,
            expiresAt: now + this.options.sessionMs,
          },
        ]);
        return { principal: userPrincipal(user, session!), user };
      },
      also,
    );
    return { token, ...opened };
  }

  /** The principal a session token stands for, or a 401 (unknown, ended, expired, disabled). */
  async verify(token: string): Promise<Principal> {
    if (!TOKEN_PATTERN.test(token)) throw unauthorized('Malformed session');
    const [found] = await query(() =>
      this.db
        .select({ session: sessions, user: users })
        .from(sessions)
        .innerJoin(users, eq(users._id, sessions.userId))
        .where(eq(sessions.tokenHash, sha256Hex(token))),
    );
    if (!found || found.session.revokedAt !== null) throw unauthorized('Not signed in');
    if (found.session.expiresAt <= this.now()) throw unauthorized('Session expired');
    if (found.user.disabledAt !== null) throw unauthorized('User disabled');
    return userPrincipal(toInfo(found.user), found.session);
  }

  /** Ends one session (sign-out); `also` commits with it (its audit entry). */
  async endSession(sessionId: string, also?: AlsoWrite<void>): Promise<void> {
    await writeWith(
      this.database,
      async (db) => {
        await query(() =>
          db.update(sessions).set({ revokedAt: this.now() }).where(eq(sessions._id, sessionId)),
        );
      },
      also,
    );
    this.options.revocations?.revoke(sessionId);
  }

  /**
   * Deletes the sessions that ended (expired or signed out) more than `olderThanMs` ago: they
   * can never sign anyone in again, and would otherwise pile up one row per sign-in.
   */
  async deleteEndedSessions(olderThanMs: number): Promise<number> {
    const before = this.now() - olderThanMs;
    const deleted = await query(() =>
      this.db
        .delete(sessions)
        .where(or(lt(sessions.expiresAt, before), lt(sessions.revokedAt, before)))
        .returning({ id: sessions._id }),
    );
    return deleted.length;
  }

  /** Ends every open session of a user (but `except`). */
  async endSessions(userId: string, except?: string): Promise<void> {
    const ended = await query(() =>
      this.db
        .update(sessions)
        .set({ revokedAt: this.now() })
        .where(
          and(
            eq(sessions.userId, userId),
            isNull(sessions.revokedAt),
            except ? ne(sessions._id, except) : undefined,
          ),
        )
        .returning({ id: sessions._id }),
    );
    for (const { id } of ended) this.options.revocations?.revoke(id);
  }
}
