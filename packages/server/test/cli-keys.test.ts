// `earshot keys`: create prints the key once and stores only its hash; list and revoke.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../src/auth/api-keys.ts';
import { openStore } from '../src/store/index.ts';
import { apiKeys } from '../src/store/schema.ts';
import { runCli } from './support/server-process.ts';

describe('earshot keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a key shown once, stored hashed, then lists and revokes it', async () => {
    const created = await runCli([
      'keys',
      'create',
      '--name',
      'pipeline',
      '--scope',
      'ingest',
      '--data-dir',
      dir,
    ]);
    // The secret is everything after the prefix: it is base64url, so it may hold `_` itself.
    const [, key, secret] = /(esk_[a-z0-9]{12}_(\S+))/.exec(created)! as unknown as [
      string,
      string,
      string,
    ];
    expect(created).toMatch(/not shown again/);

    let store = await openStore({ kind: 'pglite', dataDir: dir });
    const [row] = await store.database.db.select().from(apiKeys);
    expect(JSON.stringify(row)).not.toContain(secret);
    expect((await new ApiKeyStore(store.database).verify(key)).scopes).toEqual(['ingest']);
    await store.close();

    const listed = await runCli(['keys', 'list', '--data-dir', dir]);
    expect(listed).toMatch(/pipeline\s+\[ingest\]\s+active/);
    await runCli(['keys', 'revoke', row!._id, '--data-dir', dir]);

    store = await openStore({ kind: 'pglite', dataDir: dir });
    await expect(new ApiKeyStore(store.database).verify(key)).rejects.toThrow(/revoked/);
    // Revoking it again changes nothing: it keeps the time of its first revocation.
    const [revoked] = await store.database.db.select().from(apiKeys);
    await new Promise((resolve) => setTimeout(resolve, 5));
    let audited = 0;
    const again = await new ApiKeyStore(store.database).revoke(row!._id, async () => {
      audited += 1;
    });
    expect(revoked!.revokedAt).toBeGreaterThan(0);
    expect(again.revokedAt).toBe(revoked!.revokedAt);
    expect(audited).toBe(0); // and no second key_revoked entry
    // Something id-shaped that is no UUID is looked up as a prefix: not found, not a database error.
    await expect(new ApiKeyStore(store.database).revoke('0'.repeat(36))).rejects.toMatchObject({
      kind: 'not_found',
    });
    await store.close();
  });

  it('refuses an unknown scope with exit code 2', async () => {
    await expect(
      runCli(['keys', 'create', '--name', 'x', '--scope', 'root', '--data-dir', dir]),
    ).rejects.toThrow(/exited with 2[\s\S]*unknown scope root/);
  });
});
