// The optional LLM adviser: off by default; when set, its coaching reaches the call; a slow or
// failing provider holds nothing up; numbers and emails are masked before they leave.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { maskForProvider } from '../src/jobs/llm-advisor.ts';
import { loadConfig } from '../src/config.ts';
import { createEarshot, type Earshot } from '../src/server.ts';
import { startRequest } from './support/scripted-call.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeProvider(
  answer: (body: unknown) => Promise<{ status: number; content?: unknown }>,
) {
  const received: unknown[] = [];
  const server: Server = createServer(async (request: IncomingMessage, response) => {
    let raw = '';
    for await (const chunk of request) raw += chunk;
    const body = JSON.parse(raw);
    received.push(body);
    const { status, content } = await answer(body);
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ choices: [{ message: { content: JSON.stringify(content ?? {}) } }] }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, received };
}

async function earshotWith(flags: Record<string, string>): Promise<Earshot> {
  const earshot = await createEarshot(
    loadConfig({ 'data-dir': 'memory://', ...flags }, {}),
    pino({ level: 'silent' }),
  );
  cleanups.push(() => earshot.close());
  return earshot;
}

const line = (seq: number, text: string) => ({
  type: 'transcript' as const,
  seq,
  segmentId: `s${seq}`,
  speaker: 'customer' as const,
  text,
  isFinal: true,
  timestamp: '0:10',
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

describe('LLM adviser', () => {
  it('is off unless a URL is configured', async () => {
    const earshot = await earshotWith({});
    expect(earshot.advisor).toBeUndefined();
  });

  it('adds the provider’s coaching and next actions to the call, with personal data already redacted', async () => {
    const provider = await fakeProvider(async () => ({
      status: 200,
      content: {
        coaching: [
          {
            type: 'suggestion',
            title: 'Mention the warranty',
            description: 'They worry about repairs.',
            priority: 5,
          },
        ],
        nextActions: [
          { action: 'Offer the 10-year warranty', priority: 'next', reason: 'Repair worries' },
        ],
      },
    }));
    const earshot = await earshotWith({ 'llm-url': provider.url, 'llm-api-key': 'sk-test' });
    await earshot.calls.start(startRequest('llm-1'));
    await earshot.calls.ingest('llm-1', [
      line(1, 'My card is 4111 1111 1111 1111 and email sam@example.com, will it break?'),
    ]);
    await until(() =>
      earshot.calls
        .snapshot('llm-1')!
        .coachingRecommendations.some((c) => c.title === 'Mention the warranty'),
    );
    expect(earshot.calls.snapshot('llm-1')!.nextActions.map((a) => a.action)).toContain(
      'Offer the 10-year warranty',
    );
    const sent = JSON.stringify(provider.received[0]);
    expect(sent).not.toContain('4111');
    expect(sent).not.toContain('sam@example.com');
    // Redacted at ingest, before the adviser ever reads the line.
    expect(sent).toContain('My card is [CARD] and email [EMAIL]');
  });

  it('holds nothing up when the provider is slow, and survives one that fails', async () => {
    let release: () => void = () => undefined;
    const provider = await fakeProvider(
      () => new Promise((resolve) => (release = () => resolve({ status: 500 }))),
    );
    const earshot = await earshotWith({ 'llm-url': provider.url, 'llm-interval-seconds': '1' });
    await earshot.calls.start(startRequest('llm-2'));
    // Ingest is answered while the provider has not answered at all.
    await earshot.calls.ingest('llm-2', [line(1, 'Hello there')]);
    await until(() => provider.received.length === 1);
    await earshot.calls.ingest('llm-2', [line(2, 'Still there?')]);
    release();
    await until(() => earshot.advisor!.failures === 1);
    expect(earshot.calls.snapshot('llm-2')!.liveTranscripts).toHaveLength(2);
  });

  it('masks digit runs and emails', () => {
    expect(maskForProvider('call 07700 900123 or mail a.b@c.co')).toBe(
      'call [NUMBER] or mail [EMAIL]',
    );
  });
});
