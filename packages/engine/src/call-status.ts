// The call state machine:
//   connecting → ringing → connected ⇄ on-hold
//   connected → transferring → connected
//   any state → ended (only by ending the call)
import { EarshotError, type CallStatus } from '@earshot/protocol';

const NEXT: Record<CallStatus, readonly CallStatus[]> = {
  connecting: ['ringing', 'ended'],
  ringing: ['connected', 'ended'],
  connected: ['on-hold', 'transferring', 'ended'],
  'on-hold': ['connected', 'ended'],
  transferring: ['connected', 'ended'],
  ended: [],
};

/** True when a call may move from one status to the other (staying put is allowed). */
export function canTransition(from: CallStatus, to: CallStatus): boolean {
  return from === to ? from !== 'ended' : NEXT[from].includes(to);
}

/**
 * Throws a 409 naming the current state when the move is impossible.
 * @example
 * assertTransition('ringing', 'on-hold', 'events.2.status') // throws: Cannot move a ringing call to on-hold
 */
export function assertTransition(from: CallStatus, to: CallStatus, field = 'status'): void {
  if (canTransition(from, to)) return;
  throw new EarshotError('conflict', `Cannot move a ${from} call to ${to}`, {
    fields: [
      { field, message: `The call is ${from}; allowed next: ${NEXT[from].join(', ') || 'none'}` },
    ],
  });
}
