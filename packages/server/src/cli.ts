// The `earshot` command: `serve` (the default) runs the server; `migrate` applies migrations
// and exits. Every command reads the same configuration (config.ts).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import {
  createUserRequest,
  EarshotError,
  ROLES,
  updateUserRequest,
  parseOrThrow,
} from '@earshot/protocol';
import {
  flagDefinitions,
  loadConfig,
  missingNodeFlags,
  optionsHelp,
  RECOMMENDED_NODE_FLAGS,
  type Config,
} from './config.ts';
import { createLogger } from './logger.ts';
import { API_KEY_SCOPES, ApiKeyStore, type ApiKeyScope } from './auth/api-keys.ts';
import { AuditLog, type AuditInput } from './auth/audit-log.ts';
import { UserStore } from './auth/users.ts';
import { RevocationChannel } from './auth/revocation-channel.ts';
import { Revocations } from './auth/revocations.ts';

/** How the audit log names changes made from the command line. */
const CLI_ACTOR = { kind: 'system', id: 'cli', name: 'earshot CLI' } as const;

/** The audit entry of a change made from the command line, written in the change's transaction. */
function recordAsCli<T>(
  audit: AuditLog,
  entry: (result: T) => Omit<AuditInput, 'actor'>,
): AlsoWrite<T> {
  return audit.recordWith((result: T) => ({ ...entry(result), actor: CLI_ACTOR }));
}
import { createEarshot, databaseTarget, type Earshot } from './server.ts';
import { openStore, type Store } from './store/index.ts';
import type { AlsoWrite } from './store/rows.ts';
import { PlatformReceiver, Simulator } from '@earshot/simulator';

const USAGE = `Usage: earshot [command] [options]

Commands:
  serve     Run the server (default)
  migrate   Apply pending database migrations and exit
  keys create --name <name> --scope <scope> [--scope <scope>] [--expires-days <n>]
            Create an API key and print it (shown once). Scopes: ${API_KEY_SCOPES.join(', ')}
  keys list
  keys revoke <id or prefix>
  users create --username <name> --name <display name> --role <role> [--campaign <id>]...
            Create a user and print a one-time password (changed at first sign-in).
            Roles: ${ROLES.join(', ')}; supervisors and viewers see only their campaigns
  users list
  users update <username> [--role <role>] [--campaign <id>]... [--name <display name>]
            [--disable | --enable]   (--campaign replaces the user's campaigns)
  users reset-password <username>
            Print a new one-time password; the user's sessions end
  simulate --url <server url> --key <api key> [--calls N] [--duration <seconds>] [--seed N] [--speed X]
            Play simulated calls against a running server (ingest and manage scopes) and
            report what was sent and acknowledged; exits 1 on any loss
  help      Show this help

With the embedded database, run key and user commands while the server is stopped (one process
owns the data directory); with PostgreSQL, any time.

Options (flag, environment variable, default):
${optionsHelp()}
  --help, -h
      Show this help`;

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        ...flagDefinitions(),
        help: { type: 'boolean', short: 'h' },
        name: { type: 'string' },
        scope: { type: 'string', multiple: true },
        username: { type: 'string' },
        role: { type: 'string' },
        campaign: { type: 'string', multiple: true },
        disable: { type: 'boolean' },
        enable: { type: 'boolean' },
        'expires-days': { type: 'string' },
        url: { type: 'string' },
        key: { type: 'string' },
        calls: { type: 'string' },
        duration: { type: 'string' },
        seed: { type: 'string' },
        speed: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    console.error(`earshot: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command = 'serve', ...rest] = parsed.positionals;
  if (parsed.values.help || command === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (rest.length > 0 && command !== 'keys' && command !== 'users') {
    console.error(`earshot: unexpected argument ${rest[0]}\n\n${USAGE}`);
    return 2;
  }

  let config: Config;
  try {
    config = loadConfig(parsed.values, process.env);
  } catch (error) {
    if (error instanceof EarshotError) {
      console.error(`earshot: ${error.message}`);
      for (const field of error.fields) console.error(`  ${field.field}: ${field.message}`);
      return 2;
    }
    throw error;
  }

  switch (command) {
    case 'serve':
      return serve(config);
    case 'migrate':
      return migrate(config);
    case 'keys':
      return keys(config, rest, parsed.values);
    case 'users':
      return usersCommand(config, rest, parsed.values);
    case 'simulate':
      return simulate(parsed.values);
    default:
      console.error(`earshot: unknown command ${command}\n\n${USAGE}`);
      return 2;
  }
}

async function migrate(config: Config): Promise<number> {
  const store = await openStore(databaseTarget(config));
  await store.close();
  console.log('earshot: migrations applied');
  return 0;
}

/**
 * Revocations made by a command, announced to the servers running on the same PostgreSQL
 * database: they close the sockets opened with the key or session at once. With the embedded
 * database no server runs beside the CLI (one process owns the data directory).
 */
function announcedRevocations(
  config: Config,
  store: Store,
): { revocations: Revocations; announced: () => Promise<void> } {
  const revocations = new Revocations();
  if (!config.databaseUrl) return { revocations, announced: async () => undefined };
  const channel = new RevocationChannel({
    url: config.databaseUrl,
    database: store.database,
    revocations,
    logger: createLogger('warn'),
    listen: false,
  });
  channel.start();
  return {
    revocations,
    async announced() {
      await channel.drain();
      await channel.stop();
    },
  };
}

async function keys(
  config: Config,
  args: string[],
  flags: { name?: string; scope?: string[]; 'expires-days'?: string },
): Promise<number> {
  const [action, target] = args;
  const store = await openStore(databaseTarget(config));
  const { revocations, announced } = announcedRevocations(config, store);
  try {
    const apiKeys = new ApiKeyStore(store.database, Date.now, revocations);
    const audit = new AuditLog(store.database.db, Date.now, createLogger('silent'));
    if (action === 'create') {
      const scopes = flags.scope ?? [];
      const unknown = scopes.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
      if (!flags.name || scopes.length === 0 || unknown.length > 0) {
        console.error(
          `earshot: keys create needs --name and at least one --scope (${API_KEY_SCOPES.join(', ')})` +
            (unknown.length ? `; unknown scope ${unknown.join(', ')}` : ''),
        );
        return 2;
      }
      const days = flags['expires-days'] === undefined ? undefined : Number(flags['expires-days']);
      if (days !== undefined && !(days > 0)) {
        console.error('earshot: --expires-days must be a positive number');
        return 2;
      }
      const { key, info } = await apiKeys.create(
        {
          name: flags.name,
          scopes: scopes as ApiKeyScope[],
          ...(days ? { expiresAt: Date.now() + days * 86_400_000 } : {}),
        },
        recordAsCli(audit, ({ info: made }) => ({
          event: 'key_created',
          target: made.id,
          detail: { name: made.name, scopes: made.scopes },
        })),
      );
      console.log(
        `API key "${info.name}" (${info.scopes.join(', ')}), id ${info.id}:\n\n  ${key}\n`,
      );
      console.log('Store it now: it is not shown again.');
      return 0;
    }
    if (action === 'list') {
      for (const info of await apiKeys.list()) {
        const state = info.revokedAt
          ? 'revoked'
          : info.expiresAt && info.expiresAt < Date.now()
            ? 'expired'
            : 'active';
        console.log(
          `${info.id}  esk_${info.prefix}_…  ${info.name}  [${info.scopes.join(', ')}]  ${state}`,
        );
      }
      return 0;
    }
    if (action === 'revoke' && target) {
      const info = await apiKeys.revoke(
        target,
        recordAsCli(audit, (revoked) => ({
          event: 'key_revoked',
          target: revoked.id,
          detail: { name: revoked.name },
        })),
      );
      console.log(`revoked ${info.id} (${info.name})`);
      return 0;
    }
    console.error(`earshot: keys needs create, list or revoke <id or prefix>\n\n${USAGE}`);
    return 2;
  } catch (error) {
    if (error instanceof EarshotError) {
      console.error(`earshot: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await announced();
    await store.close();
  }
}

async function usersCommand(
  config: Config,
  args: string[],
  flags: {
    username?: string;
    name?: string;
    role?: string;
    campaign?: string[];
    disable?: boolean;
    enable?: boolean;
  },
): Promise<number> {
  const [action, target] = args;
  const store = await openStore(databaseTarget(config));
  const { revocations, announced } = announcedRevocations(config, store);
  try {
    const users = new UserStore(store.database, {
      clock: Date.now,
      sessionMs: config.sessionHours * 3_600_000,
      revocations,
    });
    const audit = new AuditLog(store.database.db, Date.now, createLogger('silent'));
    if (action === 'create') {
      const body = parseOrThrow(
        createUserRequest,
        {
          username: flags.username,
          displayName: flags.name,
          role: flags.role,
          campaignIds: flags.campaign ?? [],
        },
        'options',
      );
      const { user, password } = await users.create(
        body,
        recordAsCli(audit, ({ user: made }) => ({
          event: 'user_created',
          target: made.username,
          detail: { role: made.role, campaignIds: made.campaignIds },
        })),
      );
      console.log(
        `User ${user.username} (${user.role}) created. One-time password:\n\n  ${password}\n`,
      );
      console.log('It is shown once; the user must change it at first sign-in.');
      return 0;
    }
    if (action === 'list') {
      for (const user of await users.list()) {
        const campaigns =
          user.role === 'admin' ? 'all campaigns' : user.campaignIds.join(', ') || 'no campaigns';
        const state = user.disabled
          ? 'disabled'
          : user.mustChangePassword
            ? 'one-time password'
            : 'active';
        console.log(
          `${user.username}  ${user.displayName}  ${user.role}  [${campaigns}]  ${state}`,
        );
      }
      return 0;
    }
    if (action === 'update' && target) {
      if (flags.disable && flags.enable) {
        console.error('earshot: --disable and --enable contradict each other');
        return 2;
      }
      const patch = parseOrThrow(
        updateUserRequest,
        {
          ...(flags.name !== undefined ? { displayName: flags.name } : {}),
          ...(flags.role !== undefined ? { role: flags.role } : {}),
          ...(flags.campaign !== undefined ? { campaignIds: flags.campaign } : {}),
          ...(flags.disable ? { disabled: true } : flags.enable ? { disabled: false } : {}),
        },
        'options',
      );
      const user = await users.update(
        target,
        patch,
        recordAsCli(audit, (updated) => ({
          event: 'user_updated',
          target: updated.username,
          detail: { fields: Object.keys(patch) },
        })),
      );
      console.log(
        `updated ${user.username}: ${user.role}, ${user.disabled ? 'disabled' : 'enabled'}`,
      );
      return 0;
    }
    if (action === 'reset-password' && target) {
      const { user, password } = await users.resetPassword(
        target,
        recordAsCli(audit, ({ user: reset }) => ({
          event: 'password_reset',
          target: reset.username,
        })),
      );
      console.log(`One-time password for ${user.username}:\n\n  ${password}\n`);
      console.log('It is shown once; the user must change it at first sign-in.');
      return 0;
    }
    console.error(
      `earshot: users needs create, list, update <username> or reset-password <username>\n\n${USAGE}`,
    );
    return 2;
  } catch (error) {
    if (error instanceof EarshotError) {
      console.error(`earshot: ${error.message}`);
      for (const field of error.fields) console.error(`  ${field.field}: ${field.message}`);
      return error.kind === 'validation' ? 2 : 1;
    }
    throw error;
  } finally {
    await announced();
    await store.close();
  }
}

async function simulate(flags: {
  url?: string;
  key?: string;
  calls?: string;
  duration?: string;
  seed?: string;
  speed?: string;
}): Promise<number> {
  const calls = Number(flags.calls ?? 10);
  const duration = Number(flags.duration ?? 60);
  const seed = Number(flags.seed ?? 1);
  const speed = Number(flags.speed ?? 1);
  if (
    !flags.url ||
    !flags.key ||
    !(calls > 0) ||
    !(duration > 0) ||
    !Number.isInteger(seed) ||
    !(speed > 0)
  ) {
    console.error(
      'earshot: simulate needs --url and --key, and positive --calls, --duration (s) and --speed',
    );
    return 2;
  }
  const errors: string[] = [];
  const simulator = new Simulator({
    baseUrl: flags.url.replace(/\/$/, ''),
    apiKey: flags.key,
    calls,
    seed,
    speed,
    durationMs: duration * 1000,
    onError: (message) => errors.push(message),
  });
  const began = Date.now();
  try {
    await simulator.start();
  } catch (error) {
    console.error(`earshot: simulate: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const progress = setInterval(() => {
    const t = simulator.totals;
    console.error(
      `  ${Math.round((Date.now() - began) / 1000)} s: ${t.calls} calls, ${t.sent} events sent, ${t.acknowledged} acknowledged`,
    );
  }, 5000);
  await simulator.done();
  clearInterval(progress);
  const t = simulator.totals;
  const lost = t.sent - t.acknowledged;
  console.log(
    JSON.stringify({
      calls: t.calls,
      failed: t.failed,
      sent: t.sent,
      acknowledged: t.acknowledged,
      refused: t.refused,
      lost,
      seconds: (Date.now() - began) / 1000,
    }),
  );
  for (const message of errors.slice(0, 10)) console.error(`  error: ${message}`);
  return lost > 0 || t.refused > 0 || t.failed > 0 ? 1 : 0;
}

async function serve(config: Config): Promise<number> {
  const logger = createLogger(config.logLevel);
  // The demo plays the voice platform too: supervisors' actions go to the simulator's
  // receiver as signed webhooks and change the simulated calls (unless a real platform is set).
  let simulator: Simulator | undefined;
  let receiver: PlatformReceiver | undefined;
  if (config.simulatorCalls > 0 && !config.platformWebhookUrl) {
    const secret = randomBytes(32).toString('base64url');
    receiver = new PlatformReceiver({
      secret,
      onAction: (action) => {
        if (!simulator?.act(action)) logger.info({ callId: action.callId }, 'demo: no such call');
      },
    });
    config = {
      ...config,
      platformWebhookUrl: await receiver.listen(),
      platformWebhookSecret: secret,
    };
  }
  const server = await createEarshot(config, logger);
  const url = await server.listen();
  logger.info({ url }, 'earshot is listening');
  const missing = missingNodeFlags(process.execArgv, process.env.NODE_OPTIONS);
  if (missing.length > 0)
    logger.warn(
      { missing, recommended: RECOMMENDED_NODE_FLAGS },
      'Node was started without the recommended heap flags: expect longer garbage-collection pauses under load (docs/operations.md)',
    );
  const lines = [`Earshot is running at ${url}`];
  if (config.simulatorCalls > 0) {
    // The demo plays a voice pipeline against the real API with a key that exists only in memory.
    const demoKey = server.keys.createEphemeral('demo simulator', ['ingest', 'manage']);
    simulator = new Simulator({
      baseUrl: url,
      apiKey: demoKey,
      calls: config.simulatorCalls,
      seed: config.simulatorSeed,
      onError: (message) => logger.warn({ message }, 'simulator'),
    });
    await simulator.start();
    lines.push(
      `Demo: ${config.simulatorCalls} simulated calls are live (--simulator-calls 0 turns them off).`,
    );
  }
  // The first start creates the admin; its one-time password is printed here and nowhere else.
  const admin = await server.users.ensureAdmin(
    recordAsCli(server.audit, ({ user }) => ({
      event: 'user_created',
      target: user.username,
      detail: { role: 'admin' },
    })),
  );
  lines.push(`Open the supervisor console at ${url}/`);
  if (admin) {
    lines.push(
      `First start: sign in as "${admin.username}" with the one-time password`,
      `  ${admin.password}`,
      'You will be asked to choose a new password. It is not shown again.',
    );
  } else {
    lines.push(
      'Sign in with your user. A lost admin password: stop the server and run',
      '  npm run earshot -- users reset-password admin',
    );
  }
  console.log(`\n${lines.join('\n')}\n`);

  return untilShutdown(server, logger, async () => {
    await simulator?.stop();
    await server.close();
    await receiver?.close();
  });
}

/**
 * Waits for SIGTERM or SIGINT, or for a fatal failure (the call thread or the embedded
 * database's thread crashed), then shuts down with `close`: stop accepting, finish accepted
 * work, close the database. Resolves to the exit code: 0 for a signal, 1 for a failure, so
 * that a supervisor restarts the server (the restart restores every call from the database).
 */
export function untilShutdown(
  server: Pick<Earshot, 'fatal'>,
  logger: Logger,
  close: () => Promise<void>,
): Promise<number> {
  return new Promise<number>((resolve) => {
    const onSigterm = () => shutdown({ signal: 'SIGTERM' }, 0);
    const onSigint = () => shutdown({ signal: 'SIGINT' }, 0);
    let stopping = false;
    const shutdown = (reason: { signal: string } | { err: Error }, code: number) => {
      if (stopping) return;
      stopping = true;
      process.off('SIGTERM', onSigterm);
      process.off('SIGINT', onSigint);
      if ('err' in reason) logger.fatal(reason, 'fatal failure; shutting down to be restarted');
      else logger.info(reason, 'shutting down');
      close().then(
        () => resolve(code),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve(code);
        },
      );
    };
    process.once('SIGTERM', onSigterm);
    process.once('SIGINT', onSigint);
    void server.fatal.then((err) => shutdown({ err }, 1));
  });
}
