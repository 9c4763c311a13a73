// Supervisor actions retried with an Idempotency-Key: the id a key stands for, and the input
// that carries a key to the call's host, which works the id out from the call it holds.
import type { SupervisorActionInput } from '@earshot/engine';
import { createHash } from 'node:crypto';

/** A supervisor's action as a route hands it over; the host derives the id from the key. */
export type ActInput = Omit<SupervisorActionInput, 'id' | 'deliver'> & {
  /** The request's Idempotency-Key header, if it sent one. */
  idempotencyKey?: string;
};

/**
 * The action id a request's Idempotency-Key stands for: a UUID (version 8, RFC 9562) made from
 * a SHA-256 of who asked, on which live call (its document id), with which key. Two users'
 * keys never collide, nor do one user's on two calls that shared a callId.
 * @example actionIdFor(user.id, call._id, 'retry-1') // '3f1c…-…-8…'
 */
export function actionIdFor(principalId: string, liveCallId: string, key: string): string {
  const bytes = createHash('sha256').update(`${principalId}\n${liveCallId}\n${key}`).digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
