// The HTTP shell: health, OpenAPI, and problem+json for anything unknown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEarshot, type TestEarshot } from './support/earshot.ts';

describe('http app', () => {
  let t: TestEarshot;
  beforeAll(async () => {
    t = await startTestEarshot('pglite');
  });
  afterAll(() => t.cleanup());

  it('reports health with the database kind', async () => {
    const response = await t.request('GET', '/api/v1/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: 'ok',
      database: { kind: 'pglite', up: true },
      redactionFailures: 0,
    });
  });

  it('serves an OpenAPI 3.1 document of every route, each of which exists', async () => {
    const response = await t.request('GET', '/api/v1/openapi.json');
    expect(response.body.openapi).toBe('3.1.0');
    const paths = response.body.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths).sort()).toEqual(
      [
        '/analytics/calls',
        '/analytics/calls/{id}',
        '/analytics/summary',
        '/annotations',
        '/audit',
        '/calls',
        '/calls/{callId}/actions',
        '/calls/{callId}/end',
        '/calls/{callId}/events',
        '/calls/{callId}/stream',
        '/campaigns',
        '/campaigns/{id}',
        '/health',
        '/keys',
        '/keys/{id}',
        '/metrics',
        '/openapi.json',
        '/realtime',
        '/session',
        '/session/password',
        '/users',
        '/users/{id}',
        '/users/{id}/password-reset',
      ].sort(),
    );
    for (const [path, operations] of Object.entries(paths)) {
      for (const method of Object.keys(operations)) {
        const url = `/api/v1${path.replace(/\{(\w+)\}/g, ':$1')}`;
        expect(
          t.earshot.app.hasRoute({ method: method.toUpperCase() as 'GET', url }),
          `${method} ${url}`,
        ).toBe(true);
      }
    }
  });

  it('answers an unknown route with a problem+json 404', async () => {
    const response = await t.request('GET', '/api/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, kind: 'not_found' });
  });
});
