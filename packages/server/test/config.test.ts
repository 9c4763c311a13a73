// Configuration comes from environment and flags through one schema; --help lists it all.
import { EarshotError } from '@earshot/protocol';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.ts';
import { loadConfig, missingNodeFlags, OPTIONS } from '../src/config.ts';

describe('configuration', () => {
  it('applies defaults when nothing is set', () => {
    const config = loadConfig({}, {});
    expect(config).toEqual({
      host: '127.0.0.1',
      port: 3000,
      dataDir: './.earshot/data',
      databasePoolSize: 10,
      maxBodyBytes: 1024 * 1024,
      flushIntervalMs: 10,
      retentionMinutes: 60,
      staleAfterSeconds: 600,
      sweepIntervalSeconds: 60,
      metricsIntervalSeconds: 5,
      llmModel: 'gpt-4o-mini',
      llmIntervalSeconds: 30,
      llmTimeoutSeconds: 10,
      allowedOrigins: [],
      maxWriteBacklog: 50_000,
      rateLimit: 1000,
      engineThread: false,
      sessionHours: 12,
      trustProxy: false,
      signInAttempts: 10,
      realtimeHistory: 250,
      simulatorCalls: 12,
      simulatorSeed: 1,
      logLevel: 'info',
    });
    expect(config.databaseUrl).toBeUndefined();
  });

  it('reads environment variables, and flags win over them', () => {
    const env = {
      EARSHOT_PORT: '4000',
      DATABASE_URL: 'postgres://db/earshot',
      EARSHOT_LOG_LEVEL: 'warn',
    };
    expect(loadConfig({}, env)).toMatchObject({
      port: 4000,
      databaseUrl: 'postgres://db/earshot',
      logLevel: 'warn',
    });
    expect(loadConfig({ port: '5000' }, env).port).toBe(5000);
  });

  it('names the flag and variable of a bad option', () => {
    try {
      loadConfig({ port: 'eighty' }, { DATABASE_URL: 'mysql://nope' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(EarshotError);
      expect((error as EarshotError).fields.map((f) => f.field).sort()).toEqual([
        '--database-url (DATABASE_URL)',
        '--port (EARSHOT_PORT)',
      ]);
    }
  });

  it('--help lists every option with its variable and default', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await main(['--help'])).toBe(0);
    const help = log.mock.calls.map((call) => String(call[0])).join('\n');
    log.mockRestore();
    for (const spec of Object.values(OPTIONS)) {
      expect(help).toContain(spec.flag);
      expect(help).toContain(spec.env);
      expect(help).toContain(`default ${spec.defaultText}`);
    }
  });

  it('refuses an unknown flag with usage and exit code 2', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await main(['--colour', 'blue'])).toBe(2);
    expect(String(error.mock.calls[0]?.[0])).toMatch(/Unknown option '--colour'/);
    error.mockRestore();
  });

  it('refuses a platform webhook URL without a signing secret, naming the missing option', () => {
    expect(() =>
      loadConfig({ 'platform-webhook-url': 'https://platform.example.com/hooks' }, {}),
    ).toThrow(
      expect.objectContaining({
        fields: [
          {
            field: '--platform-webhook-secret (EARSHOT_PLATFORM_WEBHOOK_SECRET)',
            message: 'Required when --platform-webhook-url is set',
          },
        ],
      }),
    );
  });
});

describe('recommended Node flags', () => {
  it('names each heap flag that neither the command line nor NODE_OPTIONS sets', () => {
    expect(missingNodeFlags([], '')).toEqual([
      '--max-semi-space-size=64',
      '--heap-growing-percent=300',
    ]);
    expect(missingNodeFlags(['--max-semi-space-size=64'], '')).toEqual([
      '--heap-growing-percent=300',
    ]);
    // NODE_OPTIONS accepts the semi-space but not the growth rule; either place counts.
    expect(missingNodeFlags(['--heap-growing-percent=300'], '--max-semi-space-size=32')).toEqual(
      [],
    );
  });

  it('accepts any value, underscores and a value after a space', () => {
    expect(
      missingNodeFlags(['--max_semi_space_size', '16', '--heap_growing_percent=150'], undefined),
    ).toEqual([]);
    expect(missingNodeFlags(['--max-old-space-size=4096', '--inspect'], '')).toHaveLength(2);
  });
});
