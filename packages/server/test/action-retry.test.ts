// A supervisor's action retried with its Idempotency-Key while the first request is still
// being written. The first request's action is in memory from the moment it is applied, but
// the retry may only hear "taken" once that action is committed: otherwise a refused write
// would leave the retry answered 200 for an action that was never stored.
import { EarshotError } from '@earshot/protocol';
import { describe, expect, it } from 'vitest';
import { callServiceCommitting } from './support/call-service.ts';
import { startRequest } from './support/scripted-call.ts';

const TRANSFER = {
  supervisorId: 'sup-1',
  supervisorName: 'Riley',
  action: 'TRANSFER_CALL',
  details: 'billing',
  idempotencyKey: 'transfer-1',
} as const;

/** A call service whose commits of supervisor actions wait for the test's one verdict. */
async function serviceWithHeldActions() {
  // One verdict for every commit of an action: a refused batch is committed again group by
  // group (the write-behind isolates what the database refuses), and each is refused alike.
  let decide: ((refusal?: Error) => void) | undefined;
  const verdict = new Promise<void>((resolve, reject) => {
    decide = (refusal) => (refusal ? reject(refusal) : resolve());
  });
  verdict.catch(() => undefined);
  const { calls, writer } = callServiceCommitting(async (batch) => {
    if (!batch.some((mutation) => mutation.table === 'supervisorActions')) return;
    await verdict;
  });
  await calls.start(startRequest('retry-1', { campaignName: undefined }));
  return {
    calls,
    /** Commits the actions, or refuses them, now and in every later attempt. */
    settle: (refusal?: Error) => decide!(refusal),
    stop: () => writer.stop(),
  };
}

/** Whether a promise has settled yet, without waiting for it. */
function watch<T>(promise: Promise<T>) {
  const state = { settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

describe('a supervisor action retried with its Idempotency-Key', () => {
  it('answers the retry only once the first request has committed, with its action', async () => {
    const { calls, settle, stop } = await serviceWithHeldActions();
    const first = calls.act('retry-1', TRANSFER);
    const retry = calls.act('retry-1', TRANSFER);
    const retryState = watch(retry);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(retryState.settled).toBe(false);

    settle();
    const [taken, again] = await Promise.all([first, retry]);
    expect(taken.retried).toBe(false);
    expect(again).toEqual({ action: taken.action, retried: true });
    expect(calls.snapshot('retry-1')!.supervisorActions).toHaveLength(1);
    await stop();
  });

  it('fails the retry with the first request when the database refuses its write', async () => {
    const { calls, settle, stop } = await serviceWithHeldActions();
    const first = calls.act('retry-1', TRANSFER);
    const retry = calls.act('retry-1', TRANSFER);
    settle(new EarshotError('validation', 'refused by a check constraint'));
    await expect(first).rejects.toThrow('refused');
    await expect(retry).rejects.toThrow('refused');
    await stop();
  });
});
