// Campaigns and their scripts over HTTP: create, list, read, update; a call started by
// campaign name gets the script's phases and objectives.
import { readFile } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS, postgresAvailable } from './support/databases.ts';
import { startTestEarshot, type TestEarshot } from './support/earshot.ts';
import { SALES_CAMPAIGN, startRequest } from './support/scripted-call.ts';

describe('campaign API', () => {
  let t: TestEarshot;
  let manage: Record<string, string>;
  beforeAll(async () => {
    t = await startTestEarshot('pglite');
    manage = { authorization: `Bearer ${t.manageKey}` };
  });
  afterAll(() => t.cleanup());

  it('creates, lists, reads and updates a campaign with its script', async () => {
    const created = await t.request('POST', '/api/v1/campaigns', SALES_CAMPAIGN, manage);
    expect(created.status).toBe(201);
    const campaign = created.body.campaign as { _id: string; script: { phases: unknown[] } };
    expect(campaign.script.phases).toHaveLength(4);

    const listed = await t.request('GET', '/api/v1/campaigns?status=active', undefined, manage);
    expect((listed.body.campaigns as unknown[]).length).toBe(1);
    expect(
      (await t.request('GET', `/api/v1/campaigns/${campaign._id}`, undefined, manage)).body
        .campaign,
    ).toEqual(campaign);

    const updated = await t.request(
      'PATCH',
      `/api/v1/campaigns/${campaign._id}`,
      { status: 'paused' },
      manage,
    );
    expect(updated.body.campaign).toMatchObject({ status: 'paused', name: SALES_CAMPAIGN.name });
    expect(
      (await t.request('GET', '/api/v1/campaigns?status=active', undefined, manage)).body.campaigns,
    ).toEqual([]);
  });

  it('refuses a duplicate name, an empty update and an unknown id', async () => {
    expect((await t.request('POST', '/api/v1/campaigns', SALES_CAMPAIGN, manage)).status).toBe(409);
    const list = await t.request('GET', '/api/v1/campaigns', undefined, manage);
    const id = (list.body.campaigns as Array<{ _id: string }>)[0]!._id;
    const empty = await t.request('PATCH', `/api/v1/campaigns/${id}`, {}, manage);
    expect(empty.status).toBe(400);
    const missing = await t.request(
      'GET',
      '/api/v1/campaigns/00000000-0000-4000-8000-000000000000',
      undefined,
      manage,
    );
    expect(missing.status).toBe(404);
    const badPhase = await t.request(
      'POST',
      '/api/v1/campaigns',
      { ...SALES_CAMPAIGN, name: 'X', script: { phases: [{ name: '' }] } },
      manage,
    );
    expect(badPhase.body.errors).toEqual([
      expect.objectContaining({ field: 'script.phases.0.name' }),
    ]);
  });

  it('gives a call started by campaign name the script’s phases and objectives', async () => {
    const started = await t.request('POST', '/api/v1/calls', startRequest('scripted-1'));
    expect(started.body.call).toMatchObject({
      campaignName: SALES_CAMPAIGN.name,
      currentPhase: 'Opening',
    });
    const snapshot = t.earshot.calls.snapshot('scripted-1')!;
    expect(snapshot.callPhases.map((p) => [p.phase, p.status])).toEqual([
      ['Opening', 'active'],
      ['Discovery', 'pending'],
      ['Pitch', 'pending'],
      ['Close', 'pending'],
    ]);
    expect(snapshot.callObjectives.map((o) => o.objective)).toEqual([
      'Confirm identity',
      'Book a home survey',
    ]);
  });

  it("keeps a campaign's redaction policy, applies it to its calls, and refuses unknown kinds", async () => {
    const created = await t.request(
      'POST',
      '/api/v1/campaigns',
      { ...SALES_CAMPAIGN, name: 'Keeps emails', redaction: { email: 'keep' } },
      manage,
    );
    expect(created.status).toBe(201);
    expect(created.body.campaign).toMatchObject({ redaction: { email: 'keep' } });
    await t.request(
      'POST',
      '/api/v1/calls',
      startRequest('policy-1', { campaignName: 'Keeps emails' }),
    );
    await t.request('POST', '/api/v1/calls/policy-1/events', {
      events: [
        {
          type: 'transcript',
          seq: 1,
          segmentId: 's',
          speaker: 'customer',
          text: 'it is sam@example.com and my card is 4111 1111 1111 1111',
          isFinal: true,
          timestamp: '0:10',
        },
      ],
    });
    expect(t.earshot.calls.snapshot('policy-1')!.liveTranscripts[0]!.text).toBe(
      'it is sam@example.com and my card is [CARD]',
    );
    const bad = await t.request(
      'POST',
      '/api/v1/campaigns',
      { ...SALES_CAMPAIGN, name: 'Bad policy', redaction: { shoeSize: 'keep' } },
      manage,
    );
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.errors)).toContain('redaction');
  });
});

for (const kind of DATABASE_KINDS) {
  describe.skipIf(kind === 'postgres' && !postgresAvailable)(`campaign names [${kind}]`, () => {
    let t: TestEarshot;
    let manage: Record<string, string>;
    beforeAll(async () => {
      t = await startTestEarshot(kind);
      manage = { authorization: `Bearer ${t.manageKey}` };
    });
    afterAll(() => t.cleanup());

    it('lets one of several concurrent creations with the same name through, and names the field for the rest', async () => {
      const answers = await Promise.all(
        Array.from({ length: 5 }, () =>
          t.request('POST', '/api/v1/campaigns', { ...SALES_CAMPAIGN, name: 'Raced' }, manage),
        ),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409]);
      for (const answer of answers.filter((a) => a.status === 409))
        expect(answer.body.errors).toEqual([{ field: 'name', message: 'Already taken' }]);
      const listed = await t.request('GET', '/api/v1/campaigns', undefined, manage);
      const names = (listed.body.campaigns as Array<{ name: string }>).map((c) => c.name);
      expect(names.filter((name) => name === 'Raced')).toHaveLength(1);
    });

    it('migrates a database whose campaigns share names: the later ones get a number', async () => {
      const db = t.earshot.store.database.db;
      // The state before migration 0008: a plain index, and three campaigns of one name.
      await db.execute(sql`drop index campaigns_by_name`);
      await db.execute(sql`create index campaigns_by_name on campaigns (name)`);
      for (const createdAt of [3, 1, 2])
        await db.execute(
          sql`insert into campaigns (name, description, type, status, created_at, updated_at)
              values ('Twin', '', 'Outbound', 'active', ${createdAt}, ${createdAt})`,
        );
      const migration = await readFile(
        new URL('../drizzle/0008_campaign-names-unique.sql', import.meta.url),
        'utf8',
      );
      for (const statement of migration.split('--> statement-breakpoint'))
        await db.execute(sql.raw(statement));
      const rows = (await db.execute(
        sql`select name, created_at from campaigns where name like 'Twin%' order by created_at`,
      )) as unknown as { rows?: Array<{ name: string }> } & Array<{ name: string }>;
      const names = (rows.rows ?? rows).map((row) => row.name);
      expect(names).toEqual(['Twin', 'Twin (2)', 'Twin (3)']);
      const again = await t.request(
        'POST',
        '/api/v1/campaigns',
        { ...SALES_CAMPAIGN, name: 'Twin' },
        manage,
      );
      expect(again.status).toBe(409);
    });
  });
}
