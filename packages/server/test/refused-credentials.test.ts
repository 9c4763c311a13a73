// Refused credentials are audited one by one up to a rate per client address; past it they are
// still refused, but counted, and the next entry from that address says how many it stands
// for. A client looping over bad keys cannot grow the audit log by a row a request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEarshot, type TestEarshot } from './support/earshot.ts';

describe('audit entries for refused credentials', () => {
  let t: TestEarshot;
  beforeAll(async () => {
    t = await startTestEarshot('pglite');
  });
  afterAll(() => t.cleanup());

  const refusals = async () =>
    (await t.earshot.audit.list({ event: 'access_refused', limit: 500 })).filter(
      (entry) => entry.target === 'GET /api/v1/campaigns',
    );
  const tryWrongKey = (i: number) =>
    t.request('GET', '/api/v1/campaigns', undefined, {
      authorization: `Bearer esk_${'a'.repeat(12)}_${String(i).padStart(43, 'b')}`,
    });

  it('writes at most 30 at once per address, then counts the rest into the next entry', async () => {
    for (let i = 0; i < 40; i++) expect((await tryWrongKey(i)).status).toBe(401);
    const written = await refusals();
    expect(written).toHaveLength(30);
    expect(written.every((entry) => entry.detail?.unrecorded === undefined)).toBe(true);

    // One entry's worth of allowance comes back every 2 s.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await tryWrongKey(40)).status).toBe(401);
    const after = await refusals();
    expect(after).toHaveLength(31);
    expect(after.find((entry) => entry.detail?.unrecorded !== undefined)?.detail).toMatchObject({
      status: 401,
      unrecorded: 10,
    });
  });
});
