// The demo's closed loop: a supervisor's actions on a simulated call travel as signed webhooks
// to the simulator's platform receiver, which acts on them. JOIN_CALL puts the supervisor on
// the line, COACH_AGENT changes what the agent says, TRANSFER_CALL transfers the call and
// END_CALL hangs it up; each action ends up delivered.
import { randomBytes } from 'node:crypto';
import { PlatformReceiver, Simulator } from '@earshot/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { createEarshot, type Earshot } from '../src/server.ts';

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('supervisor actions reach the simulated voice platform', () => {
  let earshot: Earshot;
  let base: string;
  let simulator: Simulator;
  let receiver: PlatformReceiver;
  const statuses: string[] = [];

  beforeAll(async () => {
    const secret = randomBytes(24).toString('hex');
    receiver = new PlatformReceiver({ secret, onAction: (action) => void simulator.act(action) });
    // Real time throughout: the receiver checks each webhook's timestamp against its clock.
    earshot = await createEarshot(
      loadConfig(
        {
          'data-dir': 'memory://',
          port: '0',
          'platform-webhook-url': await receiver.listen(),
          'platform-webhook-secret': secret,
        },
        {},
      ),
      pino({ level: 'silent' }),
    );
    earshot.bus.subscribe((update) => statuses.push(update.entry.status));
    base = await earshot.listen();
    const key = (await earshot.keys.create({ name: 'pipeline', scopes: ['ingest', 'manage'] })).key;
    simulator = new Simulator({ baseUrl: base, apiKey: key, calls: 1, seed: 3 });
    await simulator.start();
  });
  afterAll(async () => {
    await simulator.stop();
    await earshot.close();
    await receiver.close();
  });

  it('joins, coaches, transfers and ends a live simulated call', async () => {
    const call = () => earshot.calls.liveCalls()[0];
    await until(() => call()?.status === 'connected', 'the simulated call to connect');
    const callId = call()!.callId;
    const monitorKey = (await earshot.keys.create({ name: 'Ada Lovelace', scopes: ['monitor'] }))
      .key;
    const act = (body: unknown) =>
      fetch(`${base}/api/v1/calls/${callId}/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${monitorKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const lines = () => earshot.calls.snapshot(callId)!.liveTranscripts.map((l) => l.text);

    expect((await act({ action: 'JOIN_CALL' })).status).toBe(201);
    await until(() => lines().some((l) => l.includes('Ada Lovelace')), 'the supervisor to speak');

    expect((await act({ action: 'COACH_AGENT', details: 'Ask about their budget.' })).status).toBe(
      201,
    );
    await until(() => lines().some((l) => l.includes('Ask about their budget.')), 'the agent');

    expect((await act({ action: 'TRANSFER_CALL', details: 'billing' })).status).toBe(201);
    await until(() => statuses.includes('transferring'), 'the transfer');
    await until(() => lines().some((l) => l.includes('billing')), 'the transfer line');

    expect((await act({ action: 'END_CALL' })).status).toBe(201);
    await until(() => earshot.calls.snapshot(callId)!.liveCall.status === 'ended', 'the end');
    expect(earshot.calls.snapshot(callId)!.liveCall.endReason).toBe('supervisor');
    await until(
      () =>
        earshot.calls
          .snapshot(callId)!
          .supervisorActions.every((a) => a.delivery?.status === 'delivered'),
      'every delivery to be confirmed',
    );
    expect(receiver.stats.acted).toBeGreaterThanOrEqual(3);
    expect(Object.values(receiver.stats.refused).every((n) => n === 0)).toBe(true);
  });
});
