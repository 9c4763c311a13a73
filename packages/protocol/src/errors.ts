// The one error type of Earshot. Every failure that reaches a client is an EarshotError,
// rendered as an RFC 9457 application/problem+json body that names the failing fields.
import { z } from 'zod';

/** What went wrong, independent of transport. Each kind has one HTTP status. */
export const ERROR_KINDS = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;
export type ErrorKind = keyof typeof ERROR_KINDS;

/** One failing field: a dotted path into the input ("events.3.text") and why it failed. */
export interface FieldIssue {
  field: string;
  message: string;
}

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  kind: z.enum(Object.keys(ERROR_KINDS) as [ErrorKind, ...ErrorKind[]]),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  /** Seconds to wait before trying again (429 and 503 that say when); HTTP also sends Retry-After. */
  retryAfter: z.number().int().nonnegative().optional(),
});
/** The JSON body of every error response (Content-Type: application/problem+json). */
export type Problem = z.infer<typeof problemSchema>;

const TITLES: Record<ErrorKind, string> = {
  validation: 'Invalid request',
  unauthorized: 'Not authenticated',
  forbidden: 'Not allowed',
  not_found: 'Not found',
  conflict: 'Conflict',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  rate_limited: 'Too many requests',
  internal: 'Internal error',
  unavailable: 'Service unavailable',
};

export class EarshotError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  readonly fields: FieldIssue[];
  /** Seconds a client should wait before retrying (503 and 429). */
  readonly retryAfter: number | undefined;

  constructor(
    kind: ErrorKind,
    message: string,
    options: { fields?: FieldIssue[]; cause?: unknown; retryAfter?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'EarshotError';
    this.kind = kind;
    this.status = ERROR_KINDS[kind];
    this.fields = options.fields ?? [];
    this.retryAfter = options.retryAfter;
  }

  /**
   * @example
   * new EarshotError('validation', 'bad body', { fields: [{ field: 'agentGain', message: 'Too big' }] }).toProblem()
   * // { type: 'urn:earshot:error:validation', status: 400, errors: [{ field: 'agentGain', ... }], ... }
   */
  toProblem(): Problem {
    return {
      type: `urn:earshot:error:${this.kind}`,
      title: TITLES[this.kind],
      status: this.status,
      detail: this.message,
      kind: this.kind,
      ...(this.fields.length > 0 ? { errors: this.fields } : {}),
      ...(this.retryAfter !== undefined ? { retryAfter: this.retryAfter } : {}),
    };
  }
}

/** Joins a zod issue path into the dotted form used in problem bodies; the root is "(root)". */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** Turns a zod failure into a validation EarshotError naming every failing field. */
export function fromZodError(error: z.ZodError, what = 'input'): EarshotError {
  const fields = error.issues.flatMap((issue) =>
    // An unknown key is reported on its parent object; name the key itself instead.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          field: fieldPath([...issue.path, key]),
          message: 'Unknown field',
        }))
      : [{ field: fieldPath(issue.path), message: issue.message }],
  );
  // The detail names the first few fields; `errors` lists every one.
  const unique = [...new Set(fields.map((f) => f.field))];
  const names =
    unique.length > 5
      ? `${unique.slice(0, 5).join(', ')} and ${unique.length - 5} more`
      : unique.join(', ');
  return new EarshotError('validation', `Invalid ${what}: ${names}`, { fields, cause: error });
}

/**
 * Parses untrusted input once, at a boundary. Throws a validation EarshotError on failure.
 * @example
 * const call = parseOrThrow(liveCallInput, body, 'live call');
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what?: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw fromZodError(result.error, what);
  return result.data;
}
