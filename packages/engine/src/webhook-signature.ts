// Signed webhooks to the voice platform: HMAC-SHA256 over "<timestamp>.<nonce>.<body>" with a
// shared secret, sent as `X-Earshot-Timestamp`, `X-Earshot-Nonce` and
// `X-Earshot-Signature: v1=<hex>`. Every attempt has a fresh nonce, so an honest retry has a
// new signature while a captured request sent again does not. A receiver refuses a signature
// that does not match, a timestamp outside the replay window, and a signature it has already
// accepted (a replay inside the window); the Idempotency-Key makes retries act once.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-earshot-signature';
export const TIMESTAMP_HEADER = 'x-earshot-timestamp';
export const NONCE_HEADER = 'x-earshot-nonce';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** How far a timestamp may be from the receiver's clock. */
export const REPLAY_WINDOW_SECONDS = 300;

/** The signature header's value for a body sent at `timestamp` (seconds since the epoch). */
export function signWebhook(
  secret: string,
  timestamp: number,
  nonce: string,
  body: string,
): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${nonce}.${body}`).digest('hex')}`;
}

export type Verdict =
  | { ok: true; signature: string }
  | { ok: false; reason: 'missing' | 'stale' | 'mismatch' | 'replayed' };

/**
 * Checks a received webhook. `seen` holds the signatures already accepted within the window
 * (the caller keeps it and adds `signature` when the verdict is ok).
 */
export function verifyWebhook(
  secret: string,
  headers: {
    signature: string | undefined;
    timestamp: string | undefined;
    nonce: string | undefined;
  },
  body: string,
  nowSeconds: number,
  seen: ReadonlySet<string>,
): Verdict {
  const { signature, timestamp, nonce } = headers;
  if (!signature || !nonce || !timestamp || !/^\d+$/.test(timestamp))
    return { ok: false, reason: 'missing' };
  if (Math.abs(nowSeconds - Number(timestamp)) > REPLAY_WINDOW_SECONDS)
    return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signWebhook(secret, Number(timestamp), nonce, body));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'mismatch' };
  if (seen.has(signature)) return { ok: false, reason: 'replayed' };
  return { ok: true, signature };
}
