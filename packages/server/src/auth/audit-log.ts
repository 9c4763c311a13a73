// The audit log: sign-ins, refused access, supervisor actions and configuration changes, in
// an append-only table (a trigger refuses UPDATE and DELETE). Entries name who, what and
// which target. They never hold transcript text, note text or secrets: `detail` takes only
// short facts, and callers pass field names rather than values.
import type { AuditEntry, AuditEvent } from '@earshot/protocol';
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../store/index.ts';
import { insertMany, query, type AlsoWrite } from '../store/rows.ts';
import { auditLog } from '../store/schema.ts';
import type { Principal } from './principal.ts';

export interface AuditInput {
  event: AuditEvent;
  /** A principal, or the CLI acting as the system. */
  actor?: Pick<Principal, 'id' | 'name'> & { kind: AuditEntry['actorKind'] };
  target?: string;
  detail?: AuditEntry['detail'];
  ip?: string;
}

/** The row of an entry, as the table holds it (its `_id` and `_creationTime` aside). */
export function auditRow(input: AuditInput, at: number) {
  return {
    at,
    event: input.event,
    actorKind: input.actor?.kind ?? 'anonymous',
    ...(input.actor ? { actorId: input.actor.id, actorName: input.actor.name } : {}),
    ...(input.target !== undefined ? { target: input.target } : {}),
    ...(input.detail !== undefined ? { detail: input.detail } : {}),
    ...(input.ip !== undefined ? { ip: input.ip } : {}),
  };
}

export class AuditLog {
  constructor(
    private readonly db: Db,
    private readonly clock: () => number,
    private readonly logger: Logger,
  ) {}

  /**
   * Appends one entry, in `db` when that is a change's transaction (AlsoWrite). A refused
   * request is still refused if the entry cannot be written (the database is down): the
   * failure is logged, and the request's own answer stands. A change whose entry cannot be
   * written is rolled back with it.
   */
  async record(input: AuditInput, db: Db = this.db): Promise<void> {
    try {
      await insertMany(db, auditLog, [auditRow(input, this.clock())]);
    } catch (error) {
      this.logger.error({ err: error, event: input.event }, 'audit entry not written');
      throw error;
    }
  }

  /** An entry to write in a change's own transaction (AlsoWrite), made from its result. */
  recordWith<T>(entry: (result: T) => AuditInput): AlsoWrite<T> {
    return (tx, result) => this.record(entry(result), tx);
  }

  /** Newest first. */
  async list(filter: {
    event?: AuditEvent;
    before?: number;
    limit: number;
  }): Promise<AuditEntry[]> {
    const conditions: SQL[] = [];
    if (filter.event) conditions.push(eq(auditLog.event, filter.event));
    if (filter.before !== undefined) conditions.push(lt(auditLog.at, filter.before));
    const rows = await query(() =>
      this.db
        .select()
        .from(auditLog)
        .where(conditions.length ? and(...conditions) : undefined)
        .orderBy(desc(auditLog.at), desc(auditLog._creationTime))
        .limit(filter.limit),
    );
    return rows.map((row) => ({
      id: row._id,
      at: row.at,
      event: row.event,
      actorKind: row.actorKind as AuditEntry['actorKind'],
      ...(row.actorId !== null ? { actorId: row.actorId } : {}),
      ...(row.actorName !== null ? { actorName: row.actorName } : {}),
      ...(row.target !== null ? { target: row.target } : {}),
      ...(row.detail !== null ? { detail: row.detail as AuditEntry['detail'] } : {}),
      ...(row.ip !== null ? { ip: row.ip } : {}),
    }));
  }
}
