// Campaigns and their scripts over HTTP: create, list, read, update; a call started by
// campaign name gets the script's phases and objectives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
