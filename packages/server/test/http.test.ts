// The HTTP shell: health, and problem+json for anything unknown.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.ts';
import { openStore, type Store } from '../src/store/index.ts';

describe('http app', () => {
  let store: Store;
  let app: Awaited<ReturnType<typeof buildApp>>;

  beforeAll(async () => {
    store = await openStore({ kind: 'pglite', dataDir: undefined });
    app = await buildApp({ store, logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('reports health with the database kind', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', database: { kind: 'pglite', up: true } });
  });

  it('answers an unknown route with a problem+json 404', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 404, kind: 'not_found' });
  });
});
