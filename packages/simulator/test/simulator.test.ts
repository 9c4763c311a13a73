// The simulator's totals: a call whose stream cannot be opened counts as failed, so the load
// CLI that reports them exits non-zero rather than reporting a run with nothing lost.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Simulator } from '../src/simulator.ts';

describe('Simulator totals', () => {
  let server: Server;
  let baseUrl: string;
  beforeAll(async () => {
    // Takes campaigns and call starts, but no stream: the upgrade gets a plain 404.
    server = createServer((request, response) => {
      const accepted = request.method === 'POST' && /\/(campaigns|calls)$/.test(request.url ?? '');
      response.writeHead(accepted ? 201 : 404, { 'content-type': 'application/json' });
      response.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('counts a call whose stream will not open as failed', async () => {
    const errors: string[] = [];
    const simulator = new Simulator({
      baseUrl,
      apiKey: 'esk_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
      calls: 1,
      durationMs: 300,
      onError: (message) => errors.push(message),
    });
    await simulator.start();
    await simulator.done();
    expect(simulator.totals.failed).toBeGreaterThan(0);
    expect(simulator.totals.sent).toBe(0);
    expect(errors[0]).toMatch(/404/);
  });
});
