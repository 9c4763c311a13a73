// Presence: everyone following a call hears who else is following it, each person once
// however many connections they have, and hears again when someone leaves.
import { RealtimeClient } from '@earshot/client';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.ts';
import { createEarshot, type Earshot } from '../src/server.ts';
import { startRequest } from './support/scripted-call.ts';

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('presence on a call', () => {
  let earshot: Earshot;
  let url: string;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    earshot = await createEarshot(
      loadConfig({ 'data-dir': 'memory://', port: '0' }, {}),
      pino({ level: 'silent' }),
    );
    url = `${(await earshot.listen()).replace('http', 'ws')}/api/v1/realtime`;
    await earshot.calls.start(startRequest('watched-1'));
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await earshot.close();
  });

  async function watch(name: string, key?: string) {
    const token = key ?? (await earshot.keys.create({ name, scopes: ['monitor'] })).key;
    const client = new RealtimeClient({
      url,
      token,
      socket: (u) => new WebSocket(u) as never,
    });
    clients.push(client);
    const seen: { names: string[] } = { names: [] };
    const subscription = client.subscribe(
      { kind: 'call', callId: 'watched-1' },
      {
        onSnapshot() {},
        onDelta() {},
        onPresence(watchers) {
          seen.names = watchers.map((w) => w.name);
        },
      },
    );
    return { seen, subscription, token, client };
  }

  it('tells each watcher who is watching, and updates when someone leaves', async () => {
    const ada = await watch('Ada');
    await until(() => ada.seen.names.join() === 'Ada', 'Ada to see herself');
    const bob = await watch('Bob');
    await until(() => ada.seen.names.join() === 'Ada,Bob', 'Ada to see Bob');
    await until(() => bob.seen.names.join() === 'Ada,Bob', 'Bob to see Ada');
    // Ada in a second tab is still one Ada.
    const adaAgain = await watch('Ada', ada.token);
    await until(() => adaAgain.seen.names.join() === 'Ada,Bob', 'the second tab');
    expect(bob.seen.names).toEqual(['Ada', 'Bob']);
    bob.subscription.unsubscribe();
    await until(() => ada.seen.names.join() === 'Ada', 'Bob to leave');
    adaAgain.client.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ada.seen.names).toEqual(['Ada']);
  });
});
