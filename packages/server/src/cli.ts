// The `earshot` command: `serve` (the default) runs the server; `migrate` applies migrations
// and exits. Every command reads the same configuration (config.ts).
import { parseArgs } from 'node:util';
import { EarshotError } from '@earshot/protocol';
import { flagDefinitions, loadConfig, optionsHelp, type Config } from './config.ts';
import { createLogger } from './logger.ts';
import { databaseTarget, startServer } from './server.ts';
import { openStore } from './store/index.ts';

const USAGE = `Usage: earshot [command] [options]

Commands:
  serve     Run the server (default)
  migrate   Apply pending database migrations and exit
  help      Show this help

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
      options: { ...flagDefinitions(), help: { type: 'boolean', short: 'h' } },
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
  if (rest.length > 0) {
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

async function serve(config: Config): Promise<number> {
  const logger = createLogger(config.logLevel);
  const server = await startServer(config, logger);
  logger.info({ url: server.url }, 'earshot is listening');
  console.log(`\nEarshot is running at ${server.url}\n`);

  // SIGTERM and SIGINT drain: stop accepting, finish accepted work, close the database.
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      server.close().then(resolve, (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  return 0;
}
