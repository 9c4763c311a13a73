// Configuration: one table of options, read from environment variables and CLI flags
// (flags win) and parsed by one zod schema. `earshot --help` prints this table.
import { EarshotError, fieldPath } from '@earshot/protocol';
import { z } from 'zod';

interface OptionSpec {
  flag: string;
  env: string;
  description: string;
  schema: z.ZodType;
  /** Shown in --help; the schema's default is what applies. */
  defaultText: string;
  /** A flag that takes no value (`--no-simulator`). */
  boolean?: boolean;
}

/** A switch, off unless given: the flag alone, or true/false/1/0 in its variable. */
const offByDefault = z
  .union([
    z.boolean(),
    z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
  ])
  .default(false);
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every option Earshot reads. Add one here and it is parsed, typed and listed in --help. */
export const OPTIONS = {
  host: {
    flag: '--host',
    env: 'EARSHOT_HOST',
    description: 'Interface the HTTP and WebSocket server listens on',
    schema: z.string().min(1).default('127.0.0.1'),
    defaultText: '127.0.0.1',
  },
  port: {
    flag: '--port',
    env: 'EARSHOT_PORT',
    description: 'TCP port of the HTTP and WebSocket server (0 picks a free port)',
    schema: z.coerce.number().int().min(0).max(65_535).default(3000),
    defaultText: '3000',
  },
  dataDir: {
    flag: '--data-dir',
    env: 'EARSHOT_DATA_DIR',
    description:
      'Directory of the embedded database (PGlite), used when no database URL is set; memory:// keeps it in memory',
    schema: z.string().min(1).default('./.earshot/data'),
    defaultText: './.earshot/data',
  },
  databaseUrl: {
    flag: '--database-url',
    env: 'DATABASE_URL',
    description:
      'PostgreSQL connection URL; when set, PostgreSQL is used instead of the embedded database',
    schema: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'Expected a postgres:// or postgresql:// URL')
      .optional(),
    defaultText: '(unset: embedded database)',
  },
  databasePoolSize: {
    flag: '--database-pool-size',
    env: 'EARSHOT_DATABASE_POOL_SIZE',
    description: 'Connections in the PostgreSQL pool',
    schema: z.coerce.number().int().min(1).max(200).default(10),
    defaultText: '10',
  },
  maxBodyBytes: {
    flag: '--max-body-bytes',
    env: 'EARSHOT_MAX_BODY_BYTES',
    description:
      'Largest request body (larger: 413) or WebSocket frame (larger: the socket closes with 1009) accepted',
    schema: z.coerce
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
    defaultText: '1048576 (1 MiB)',
  },
  flushIntervalMs: {
    flag: '--flush-interval-ms',
    env: 'EARSHOT_FLUSH_INTERVAL_MS',
    description: 'Longest wait before queued writes are committed together (group commit window)',
    schema: z.coerce.number().int().min(0).max(1000).default(10),
    defaultText: '10',
  },
  retentionMinutes: {
    flag: '--retention-minutes',
    env: 'EARSHOT_RETENTION_MINUTES',
    description: "How long a call's live data is kept after it ends (analytics and archive stay)",
    schema: z.coerce.number().min(0).default(60),
    defaultText: '60',
  },
  staleAfterSeconds: {
    flag: '--stale-after-seconds',
    env: 'EARSHOT_STALE_AFTER_SECONDS',
    description: 'A live call with no event for this long is ended with reason "stale"',
    schema: z.coerce.number().min(1).default(600),
    defaultText: '600',
  },
  sweepIntervalSeconds: {
    flag: '--sweep-interval-seconds',
    env: 'EARSHOT_SWEEP_INTERVAL_SECONDS',
    description: 'How often retention and stale-call checks run',
    schema: z.coerce.number().min(1).default(60),
    defaultText: '60',
  },
  metricsIntervalSeconds: {
    flag: '--metrics-interval-seconds',
    env: 'EARSHOT_METRICS_INTERVAL_SECONDS',
    description: 'How often each connected call gets a performance metrics pass',
    schema: z.coerce.number().min(1).max(3600).default(5),
    defaultText: '5',
  },
  llmUrl: {
    flag: '--llm-url',
    env: 'EARSHOT_LLM_URL',
    description:
      'Base URL of an OpenAI-compatible chat API that may add coaching and next actions (off when unset)',
    schema: z.url().optional(),
    defaultText: '(unset: off)',
  },
  llmApiKey: {
    flag: '--llm-api-key',
    env: 'EARSHOT_LLM_API_KEY',
    description: 'Bearer key for the LLM API',
    schema: z.string().min(1).optional(),
    defaultText: '(unset)',
  },
  llmModel: {
    flag: '--llm-model',
    env: 'EARSHOT_LLM_MODEL',
    description: 'Model name sent to the LLM API',
    schema: z.string().min(1).default('gpt-4o-mini'),
    defaultText: 'gpt-4o-mini',
  },
  llmIntervalSeconds: {
    flag: '--llm-interval-seconds',
    env: 'EARSHOT_LLM_INTERVAL_SECONDS',
    description: 'Least time between two LLM requests for one call',
    schema: z.coerce.number().min(1).default(30),
    defaultText: '30',
  },
  llmTimeoutSeconds: {
    flag: '--llm-timeout-seconds',
    env: 'EARSHOT_LLM_TIMEOUT_SECONDS',
    description: 'An LLM request still unanswered after this long is abandoned',
    schema: z.coerce.number().min(1).default(10),
    defaultText: '10',
  },
  allowedOrigins: {
    flag: '--allowed-origins',
    env: 'EARSHOT_ALLOWED_ORIGINS',
    description:
      "Comma-separated browser origins allowed besides the server's own, on the realtime socket and for session-cookie requests that change something (not GET, HEAD or OPTIONS); * allows any",
    schema: z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((origin) => origin.trim())
          .filter(Boolean),
      ),
    defaultText: '(none: same origin only)',
  },
  maxWriteBacklog: {
    flag: '--max-write-backlog',
    env: 'EARSHOT_MAX_WRITE_BACKLOG',
    description:
      'Rows waiting for the database above which streaming ingest sockets stop being read until it catches up',
    schema: z.coerce.number().int().min(100).max(10_000_000).default(50_000),
    defaultText: '50000',
  },
  platformWebhookUrl: {
    flag: '--platform-webhook-url',
    env: 'EARSHOT_PLATFORM_WEBHOOK_URL',
    description:
      'Where supervisor actions on calls (coach, join, transfer, end) are sent as signed webhooks; unset: recorded only',
    schema: z.url({ protocol: /^https?$/ }).optional(),
    defaultText: 'unset',
  },
  platformWebhookSecret: {
    flag: '--platform-webhook-secret',
    env: 'EARSHOT_PLATFORM_WEBHOOK_SECRET',
    description: 'Shared secret for the webhooks’ HMAC-SHA256 signature (prefer the variable)',
    schema: z.string().min(16).optional(),
    defaultText: 'unset',
  },
  rateLimit: {
    flag: '--rate-limit',
    env: 'EARSHOT_RATE_LIMIT',
    description:
      'API requests per second allowed per key or user (bursts of twice that); more get 429 with Retry-After; 0 turns limits off',
    schema: z.coerce.number().min(0).max(1_000_000).default(1000),
    defaultText: '1000',
  },
  engineThread: {
    flag: '--engine-thread',
    env: 'EARSHOT_ENGINE_THREAD',
    boolean: true,
    description:
      'Run the live calls (analysis and the write-behind) on a worker thread of their own, beside the sockets on the main thread; needs --database-url',
    schema: offByDefault,
    defaultText: 'off',
  },
  trustProxy: {
    flag: '--trust-proxy',
    env: 'EARSHOT_TRUST_PROXY',
    boolean: true,
    description:
      'Behind a TLS-terminating proxy: trust its X-Forwarded-For and -Proto (real client addresses in the audit log; Secure cookies over HTTPS)',
    schema: offByDefault,
    defaultText: 'off',
  },
  sessionHours: {
    flag: '--session-hours',
    env: 'EARSHOT_SESSION_HOURS',
    description:
      'How long a console sign-in lasts; then the session cookie is refused and open sockets close',
    schema: z.coerce
      .number()
      .positive()
      .max(24 * 30)
      .default(12),
    defaultText: '12',
  },
  signInAttempts: {
    flag: '--sign-in-attempts',
    env: 'EARSHOT_SIGN_IN_ATTEMPTS',
    description:
      'Sign-in attempts allowed per username per minute; more get 429 with Retry-After; 0 turns the limit off',
    schema: z.coerce.number().min(0).max(10_000).default(10),
    defaultText: '10',
  },
  realtimeHistory: {
    flag: '--realtime-history',
    env: 'EARSHOT_REALTIME_HISTORY',
    description:
      'Changes kept per call for clients resuming after a disconnect (about 25 s of a busy call; the wallboard keeps 20×)',
    schema: z.coerce.number().int().min(1).max(1_000_000).default(250),
    defaultText: '250',
  },
  simulatorCalls: {
    flag: '--simulator-calls',
    env: 'EARSHOT_SIMULATOR_CALLS',
    description: 'Simulated calls `serve` keeps live for the demo (0 turns the simulator off)',
    schema: z.coerce.number().int().min(0).max(1000).default(12),
    defaultText: '12',
  },
  simulatorSeed: {
    flag: '--simulator-seed',
    env: 'EARSHOT_SIMULATOR_SEED',
    description: 'Seed of the demo simulator (the same seed plays the same calls)',
    schema: z.coerce.number().int().default(1),
    defaultText: '1',
  },
  logLevel: {
    flag: '--log-level',
    env: 'EARSHOT_LOG_LEVEL',
    description: `Log level: ${LOG_LEVELS.join(', ')}`,
    schema: z.enum(LOG_LEVELS).default('info'),
    defaultText: 'info',
  },
} satisfies Record<string, OptionSpec>;

type Options = typeof OPTIONS;
export type OptionName = keyof Options;
export const configSchema = z
  .strictObject(
    Object.fromEntries(Object.entries(OPTIONS).map(([name, spec]) => [name, spec.schema])) as {
      [K in OptionName]: Options[K]['schema'];
    },
  )
  .superRefine((config, ctx) => {
    // Unsigned webhooks would let anyone end calls on the platform: a URL needs a secret.
    if (config.platformWebhookUrl && !config.platformWebhookSecret)
      ctx.addIssue({
        code: 'custom',
        path: ['platformWebhookSecret'],
        message: 'Required when --platform-webhook-url is set',
      });
    // The embedded database lives in one thread; only PostgreSQL can be shared by two.
    if (config.engineThread && !config.databaseUrl)
      ctx.addIssue({
        code: 'custom',
        path: ['engineThread'],
        message: 'Needs PostgreSQL (--database-url): the embedded database serves one thread',
      });
  });
export type Config = z.output<typeof configSchema>;

/**
 * Reads the configuration from the environment and from CLI flags; flags win.
 * Throws a validation EarshotError naming the flag (and variable) of each bad option.
 * @example
 * loadConfig(['--port', '8080'], { DATABASE_URL: 'postgres://localhost/earshot' })
 */
export function loadConfig(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): Config {
  const input: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(OPTIONS) as Array<[OptionName, OptionSpec]>) {
    const fromFlag = flags[spec.flag.slice(2)];
    const fromEnv = env[spec.env];
    const value = fromFlag ?? (fromEnv === '' ? undefined : fromEnv);
    if (value !== undefined) input[name] = value;
  }
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => {
    const name = fieldPath(issue.path) as OptionName;
    const spec: OptionSpec | undefined = OPTIONS[name];
    return { field: spec ? `${spec.flag} (${spec.env})` : name, message: issue.message };
  });
  throw new EarshotError(
    'validation',
    `Invalid configuration: ${fields.map((f) => f.field).join(', ')}`,
    {
      fields,
    },
  );
}

/** The flag definitions for node:util parseArgs, derived from OPTIONS. */
export function flagDefinitions(): Record<string, { type: 'string' | 'boolean' }> {
  return Object.fromEntries(
    Object.values(OPTIONS as Record<string, OptionSpec>).map((spec) => [
      spec.flag.slice(2),
      { type: spec.boolean ? 'boolean' : 'string' },
    ]),
  );
}

/** The options table printed by --help. */
export function optionsHelp(): string {
  const rows = Object.values(OPTIONS as Record<string, OptionSpec>).map((spec) => [
    `${spec.flag}${spec.boolean ? '' : ' <value>'}`,
    spec.env,
    spec.defaultText,
    spec.description,
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows
    .map(([flag, env, defaultText, description]) =>
      [
        `  ${flag!.padEnd(widths[0]!)}  ${env!.padEnd(widths[1]!)}  default ${defaultText}`,
        `      ${description}`,
      ].join('\n'),
    )
    .join('\n');
}

/**
 * The heap flags `npm start` gives Node (docs/operations.md; decisions 0018 and 0035). Node
 * reads them only at start-up, so the server cannot set them itself. A server started some
 * other way warns when one is missing.
 */
export const RECOMMENDED_NODE_FLAGS = ['--max-semi-space-size=64', '--heap-growing-percent=300'];

/**
 * The recommended flags that neither the command line (`execArgv`) nor NODE_OPTIONS set, in
 * any value: an operator may have chosen another on purpose. V8 spells a flag with dashes or
 * underscores, and with `=` or a space before its value.
 */
export function missingNodeFlags(execArgv: readonly string[], nodeOptions = ''): string[] {
  const given = new Set(
    [...execArgv, ...nodeOptions.split(/\s+/)].map((arg) => arg.split('=')[0]!.replace(/_/g, '-')),
  );
  return RECOMMENDED_NODE_FLAGS.filter((flag) => !given.has(flag.split('=')[0]!));
}
