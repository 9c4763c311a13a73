// API keys for machines (the voice pipeline). A key is `esk_<prefix>_<secret>`; the database
// keeps the prefix (to find the row) and a SHA-256 of the secret, never the key. Secrets are
// 32 random bytes, so a fast hash is enough (a password needs a slow one; this is not one).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { API_KEY_SCOPES, EarshotError, type ApiKeyInfo, type ApiKeyScope } from '@earshot/protocol';
import { keyPrincipal, type Principal } from './principal.ts';
import type { Revocations } from './revocations.ts';
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Database, Db } from '../store/index.ts';
import { insertMany, query, writeWith, type AlsoWrite } from '../store/rows.ts';
import { apiKeys } from '../store/schema.ts';

export { API_KEY_SCOPES, type ApiKeyInfo, type ApiKeyScope };

const KEY_PATTERN = /^esk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
/** Verified keys are remembered this long, so ingest does not query per request. */
const CACHE_MS = 30_000;
/** Unknown prefixes remembered at most. */
const MAX_MISSES = 10_000;

interface VerifiedKey {
  info: ApiKeyInfo;
  hash: Buffer;
  /** When the row was read; Infinity for an ephemeral key, which has no row. */
  readAt: number;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class ApiKeyStore {
  private readonly cache = new Map<string, VerifiedKey>();
  /**
   * Prefixes read and not found, by when: a client retrying a deleted or mistyped key in a
   * loop would otherwise cost a query per request. Safe to remember, since a prefix is drawn
   * at random when its key is made: no key can come to exist under a prefix someone has
   * already tried (one made here is forgotten from this list anyway). Bounded, oldest out.
   */
  private readonly misses = new Map<string, number>();
  /**
   * Reads of a key's row in flight, by prefix: every socket opened with one key re-checks it
   * on its heartbeat, and a thousand sockets must not mean a thousand queries.
   */
  private readonly reads = new Map<string, Promise<VerifiedKey | undefined>>();
  /** Bumped when the cache is cleared, so a read that began before a revocation is not cached. */
  private generation = 0;
  /** Keys that live only as long as this process (the embedded demo's), never stored. */
  private readonly ephemeral = new Map<string, { info: ApiKeyInfo; hash: Buffer }>();

  private readonly db: Db;

  constructor(
    private readonly database: Pick<Database, 'db' | 'transaction'>,
    private readonly clock: () => number = Date.now,
    private readonly revocations?: Revocations,
  ) {
    this.db = database.db;
    // A key revoked by another process (announced through the database, revocation-channel.ts)
    // is forgotten here at once, rather than trusted until its cached read is 30 s old. When
    // announcements may have been missed, everything read is forgotten.
    revocations?.onRevoke((id) => this.forgetReads(id));
  }

  /**
   * Forgets what was read of the key with this id (of every key: undefined). Reads in flight
   * may have begun before the revocation: none of them is cached or joined by a later check.
   */
  private forgetReads(id?: string): void {
    for (const [prefix, entry] of this.cache)
      if (id === undefined || entry.info.id === id) this.cache.delete(prefix);
    this.reads.clear();
    this.generation++;
  }

  /**
   * Creates a key and returns it in full: the only time it is ever visible. `also` commits
   * with the key (its audit entry).
   */
  async create(
    input: { name: string; scopes: ApiKeyScope[]; expiresAt?: number },
    also?: AlsoWrite<{ key: string; info: ApiKeyInfo }>,
  ): Promise<{ key: string; info: ApiKeyInfo }> {
    const { prefix, secret } = newKeyParts();
    const now = this.clock();
    this.misses.delete(prefix);
    return writeWith(
      this.database,
      async (db) => {
        const [row] = await insertMany(
          db,
          apiKeys,
          [
            {
              name: input.name,
              prefix,
              secretHash: sha256(secret).toString('hex'),
              scopes: input.scopes,
              createdAt: now,
              ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
            },
          ],
          now,
        );
        return { key: `esk_${prefix}_${secret}`, info: toInfo(row!) };
      },
      also,
    );
  }

  /** A key kept in memory only: gone at restart, never written to the database. */
  createEphemeral(name: string, scopes: ApiKeyScope[]): string {
    const { prefix, secret } = newKeyParts();
    const info: ApiKeyInfo = {
      id: `ephemeral-${prefix}`,
      name,
      prefix,
      scopes,
      createdAt: this.clock(),
    };
    this.ephemeral.set(prefix, { info, hash: sha256(secret) });
    return `esk_${prefix}_${secret}`;
  }

  async list(): Promise<ApiKeyInfo[]> {
    const rows = await query(() => this.db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt)));
    return rows.map(toInfo);
  }

  /**
   * `also` commits with the revocation (its audit entry). Revoking a revoked key changes
   * nothing: it keeps the time of its first revocation, and `also` is not run again.
   */
  async revoke(idOrPrefix: string, also?: AlsoWrite<ApiKeyInfo>): Promise<ApiKeyInfo> {
    // Only a well-formed UUID is compared with the id column: anything else there is a
    // database error, not a 404 (36 dashes and hex digits in the wrong places, say).
    const column = UUID.test(idOrPrefix) ? apiKeys._id : apiKeys.prefix;
    const { info } = await writeWith(
      this.database,
      async (db) => {
        // Only a key not yet revoked: of two revocations at once, one updates the row and the
        // other (PostgreSQL re-checks the condition once the first commits) finds it revoked.
        const [row] = await query(() =>
          db
            .update(apiKeys)
            .set({ revokedAt: this.clock() })
            .where(and(eq(column, idOrPrefix), isNull(apiKeys.revokedAt)))
            .returning(),
        );
        if (row) return { info: toInfo(row), already: false };
        const [existing] = await query(() =>
          db.select().from(apiKeys).where(eq(column, idOrPrefix)),
        );
        if (!existing) throw new EarshotError('not_found', `No API key ${idOrPrefix}`);
        return { info: toInfo(existing), already: true };
      },
      also &&
        (async (tx, result) => {
          if (!result.already) await also(tx, result.info);
        }),
    );
    // Once committed: no cached verification outlives it (a check from now on reads the
    // revoked row, not one read before), and sockets using the key close.
    this.forgetReads(info.id);
    this.revocations?.revoke(info.id);
    return info;
  }

  /**
   * The principal a presented key stands for, or a 401. The secret is compared in constant
   * time. The key's row is read at most every `maxAgeMs` (30 s by default, the verification
   * cache), so revocation and expiry made elsewhere take effect within that; the realtime
   * heartbeat's re-check asks for a younger read. Concurrent reads of one key share a query.
   */
  async verify(presented: string, options: { maxAgeMs?: number } = {}): Promise<Principal> {
    const match = KEY_PATTERN.exec(presented);
    if (!match) throw unauthorized('Malformed API key');
    const [, prefix, secret] = match as unknown as [string, string, string];
    const now = this.clock();
    const ephemeral = this.ephemeral.get(prefix);
    let entry: VerifiedKey | undefined = ephemeral
      ? { ...ephemeral, readAt: Infinity }
      : this.cache.get(prefix);
    const maxAgeMs = options.maxAgeMs ?? CACHE_MS;
    if (!entry) {
      const missedAt = this.misses.get(prefix);
      if (missedAt !== undefined && now - missedAt <= maxAgeMs)
        throw unauthorized('Unknown API key');
    }
    if (!entry || now - entry.readAt > maxAgeMs) entry = await this.read(prefix);
    if (!entry) throw unauthorized('Unknown API key');
    if (!timingSafeEqual(entry.hash, sha256(secret))) throw unauthorized('Wrong API key');
    if (entry.info.revokedAt !== undefined) throw unauthorized('API key revoked');
    if (entry.info.expiresAt !== undefined && entry.info.expiresAt <= now)
      throw unauthorized('API key expired');
    return keyPrincipal(entry.info);
  }

  /** Reads a key's row (sharing a read already in flight) and caches it. */
  private read(prefix: string): Promise<VerifiedKey | undefined> {
    let pending = this.reads.get(prefix);
    if (pending) return pending;
    const generation = this.generation;
    const readAt = this.clock();
    pending = query(() => this.db.select().from(apiKeys).where(eq(apiKeys.prefix, prefix)))
      .then(([row]) => {
        if (!row) {
          this.misses.delete(prefix); // re-inserted: the map's order is the age order
          this.misses.set(prefix, readAt);
          if (this.misses.size > MAX_MISSES) this.misses.delete(this.misses.keys().next().value!);
          return undefined;
        }
        const entry = { info: toInfo(row), hash: Buffer.from(row.secretHash, 'hex'), readAt };
        if (generation === this.generation) this.cache.set(prefix, entry);
        return entry;
      })
      .finally(() => {
        if (this.reads.get(prefix) === pending) this.reads.delete(prefix);
      });
    this.reads.set(prefix, pending);
    return pending;
  }
}

/** A fresh key's public prefix (12 characters, a-z0-9) and its 32-byte random secret. */
function newKeyParts(): { prefix: string; secret: string } {
  const prefix = randomBytes(9)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')
    .slice(0, 12);
  return { prefix, secret: randomBytes(32).toString('base64url') };
}

function unauthorized(message: string): EarshotError {
  return new EarshotError('unauthorized', message, {
    fields: [{ field: '(authorization)', message }],
  });
}

function toInfo(row: typeof apiKeys.$inferSelect): ApiKeyInfo {
  return {
    id: row._id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes as ApiKeyScope[],
    createdAt: row.createdAt,
    ...(row.expiresAt !== null ? { expiresAt: row.expiresAt } : {}),
    ...(row.revokedAt !== null ? { revokedAt: row.revokedAt } : {}),
  };
}
