// Turns what PostgreSQL (or PGlite) refuses into the one error type, naming the field when
// the database names a constraint or column. Connection failures become 503 "unavailable".
import { EarshotError } from '@earshot/protocol';
import { CHECKED_FIELDS } from './schema.ts';

interface PgErrorFields {
  code?: string;
  constraint?: string;
  column?: string;
  table?: string;
  detail?: string;
  message?: string;
  /** Node's system call, on socket errors. */
  syscall?: string;
}

/** SQLSTATE classes and socket errors that mean "the database is not there right now". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

/** The first error in a cause chain that carries a SQLSTATE or socket code (drizzle wraps driver errors). */
function findDriverError(error: unknown): PgErrorFields | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const fields = current as PgErrorFields;
    if (typeof fields.code === 'string') return fields;
    current = current.cause;
  }
  return undefined;
}

function fieldFromColumn(column: string): string {
  if (column === 'id') return '_id';
  if (column === 'creation_time') return '_creationTime';
  return column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

export function isUnavailable(error: unknown): boolean {
  const driver = findDriverError(error);
  if (driver?.code && (UNAVAILABLE_CODES.has(driver.code) || driver.code.startsWith('08')))
    return true;
  // A connect to a Unix socket that is not there: the embedded database thread died. Any
  // other missing file (a bug, a bad path) is not the database being away.
  if (driver?.code === 'ENOENT' && driver.syscall === 'connect') return true;
  // node-postgres reports a dropped or refused connection without a code on some paths, and
  // drizzle wraps it: look through the whole cause chain.
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (
      /Connection terminated|ECONNREFUSED|ECONNRESET|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(
        current.message,
      )
    ) {
      return true;
    }
    current = current.cause;
  }
  return false;
}

/**
 * Whether a write failed for want of a database (it is kept and retried), rather than because
 * the database refused it (it is dropped): the driver's error, or Earshot's 503 for it.
 */
export function isOutage(error: unknown): boolean {
  return isUnavailable(error) || (error instanceof EarshotError && error.kind === 'unavailable');
}

/**
 * @example
 * try { await insert(...) } catch (error) { throw toEarshotError(error) }
 * // a check violation on live_calls_agentGain_range → 400 naming field "agentGain"
 */

/** The request field behind each unique index a request can run into. */
const UNIQUE_FIELDS: Record<string, string> = {
  campaigns_by_name: 'name',
  live_calls_by_call_id: 'callId',
  users_by_username: 'username',
};

export function toEarshotError(error: unknown): EarshotError {
  if (error instanceof EarshotError) return error;
  if (isUnavailable(error)) {
    return new EarshotError('unavailable', 'The database is unavailable; retry shortly', {
      cause: error,
      retryAfter: 1,
    });
  }
  const driver = findDriverError(error);
  switch (driver?.code) {
    case '23514': {
      const field =
        (driver.constraint && CHECKED_FIELDS.get(driver.constraint)) ??
        driver.constraint ??
        '(unknown)';
      return new EarshotError('validation', `Value out of range or not allowed: ${field}`, {
        fields: [{ field, message: `Refused by constraint ${driver.constraint ?? ''}`.trim() }],
        cause: error,
      });
    }
    case '23502': {
      const field = fieldFromColumn(driver.column ?? '(unknown)');
      return new EarshotError('validation', `Missing required field: ${field}`, {
        fields: [{ field, message: 'Required' }],
        cause: error,
      });
    }
    case '23503':
      return new EarshotError('validation', 'A referenced document does not exist', {
        fields: [
          {
            field: driver.constraint ?? '(reference)',
            message: driver.detail ?? 'Unknown reference',
          },
        ],
        cause: error,
      });
    case '23505': {
      // A unique index that a request's field decides names that field, as a check does.
      const field = driver.constraint ? UNIQUE_FIELDS[driver.constraint] : undefined;
      return new EarshotError(
        'conflict',
        `Already exists: ${driver.detail ?? driver.constraint ?? ''}`.trim(),
        {
          ...(field ? { fields: [{ field, message: 'Already taken' }] } : {}),
          cause: error,
        },
      );
    }
    case '22P02':
      return new EarshotError('validation', driver.message ?? 'Invalid value', { cause: error });
    default:
      return new EarshotError('internal', 'Database error', { cause: error });
  }
}
