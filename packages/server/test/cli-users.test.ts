// `earshot users` and the first start: the admin's one-time password is printed once, on the
// first start only; users are created, listed, changed and reset from the command line, and
// every change is in the audit log.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/auth/audit-log.ts';
import { UserStore } from '../src/auth/users.ts';
import { createLogger } from '../src/logger.ts';
import { openStore } from '../src/store/index.ts';
import { runCli, startServerProcess } from './support/server-process.ts';

describe('earshot users and the first start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-users-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const withStore = async <T>(run: (users: UserStore, audit: AuditLog) => Promise<T>) => {
    const store = await openStore({ kind: 'pglite', dataDir: dir });
    try {
      return await run(
        new UserStore(store.database, { clock: Date.now, sessionMs: 3_600_000 }),
        new AuditLog(store.database.db, Date.now, createLogger('silent')),
      );
    } finally {
      await store.close();
    }
  };

  it('prints the admin one-time password on the first start only', async () => {
    const first = await startServerProcess(['--data-dir', dir, '--simulator-calls', '0']);
    await first.stop();
    const password = /one-time password\s+(\S+)/.exec(first.output())?.[1];
    expect(password).toBeDefined();
    const second = await startServerProcess(['--data-dir', dir, '--simulator-calls', '0']);
    await second.stop();
    expect(second.output()).not.toMatch(/one-time password/);
    expect(second.output()).toContain('users reset-password admin');
    await withStore(async (users) => {
      const { principal } = await users.signIn('admin', password!);
      expect(principal.role).toBe('admin');
      expect(principal.mustChangePassword).toBe(true);
    });
  });

  it('creates, lists, updates and resets users, auditing each change', async () => {
    const campaign = '0b4f2a36-52f4-4c43-9d7a-4d1f0f0c2a11';
    const created = await runCli([
      'users',
      'create',
      '--username',
      'ada',
      '--name',
      'Ada Supervisor',
      '--role',
      'supervisor',
      '--campaign',
      campaign,
      '--data-dir',
      dir,
    ]);
    const password = /One-time password:\s+(\S+)/.exec(created)![1]!;
    expect(await runCli(['users', 'list', '--data-dir', dir])).toMatch(
      new RegExp(`ada\\s+Ada Supervisor\\s+supervisor\\s+\\[${campaign}\\]\\s+one-time password`),
    );
    await runCli(['users', 'update', 'ada', '--role', 'viewer', '--data-dir', dir]);
    const reset = await runCli(['users', 'reset-password', 'ada', '--data-dir', dir]);
    const newPassword = /One-time password for ada:\s+(\S+)/.exec(reset)![1]!;
    await runCli(['users', 'update', 'ada', '--disable', '--data-dir', dir]);
    expect(await runCli(['users', 'list', '--data-dir', dir])).toMatch(/ada .* viewer .* disabled/);

    await withStore(async (users, audit) => {
      await expect(users.signIn('ada', password)).rejects.toThrow(/Wrong username or password/);
      await expect(users.signIn('ada', newPassword)).rejects.toThrow(/Wrong username or password/);
      const entries = await audit.list({ limit: 50 });
      expect(entries.filter((e) => e.target === 'ada').map((e) => e.event)).toEqual([
        'user_updated',
        'password_reset',
        'user_updated',
        'user_created',
      ]);
      expect(entries.every((e) => e.actorKind === 'system')).toBe(true);
      expect(JSON.stringify(entries)).not.toContain(newPassword);
    });
  });

  it('refuses a bad role or username, naming the option, with exit code 2', async () => {
    await expect(
      runCli([
        'users',
        'create',
        '--username',
        'Bad Name',
        '--name',
        'x',
        '--role',
        'root',
        '--data-dir',
        dir,
      ]),
    ).rejects.toThrow(/exited with 2[\s\S]*username[\s\S]*role/);
  });
});
