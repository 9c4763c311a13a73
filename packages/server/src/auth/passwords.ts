// Password hashing with scrypt, Node's built-in memory-hard function (decision 0015): each
// guess costs an attacker 32 MiB of memory and tens of milliseconds, so a stolen users table
// resists brute force on GPUs. Hashes are self-describing, so the cost can be raised later
// without invalidating existing passwords.
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * SHA-256 as hex, for what is stored in place of a value that must not be: a session token
 * (random, so a fast hash is enough) or a rate-limit key (it may hold a mistyped password).
 */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** N = 2^15, r = 8, p = 3: 32 MiB per hash, one of OWASP's recommended scrypt settings. */
const COST = { N: 2 ** 15, r: 8, p: 3 } as const;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, cost: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      password.normalize('NFKC'),
      salt,
      KEY_LENGTH,
      { ...cost, maxmem: 128 * cost.N! * cost.r! * 2 },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );
}

/** `scrypt$N$r$p$<salt>$<hash>` (base64url), for one password. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return [
    'scrypt',
    COST.N,
    COST.r,
    COST.p,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

/** Whether `password` matches `stored`, compared in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A one-time password: 18 random bytes, 24 characters, typed once and then changed. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

let dummy: Promise<string> | undefined;

/**
 * Verifies against a hash of nothing in particular, for a username that does not exist, so a
 * failed sign-in takes as long whether or not the user exists.
 */
export async function verifyNothing(password: string): Promise<false> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await dummy);
  return false;
}
