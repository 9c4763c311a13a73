// The data model on both databases, from one file: every table round-trips, every literal of
// every union is accepted, bad values are refused naming the field, the seed's indexes exist,
// migrations are idempotent, busy per-call rows are rewritten in place, and the batched path
// keeps 10,000 transcript rows in order.
import { EarshotError, TABLES, type TableName } from '@earshot/protocol';
import { randomUUID } from 'node:crypto';
import type { Mutation } from '@earshot/engine';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Store } from '../src/store/index.ts';
import { MutationStore } from '../src/store/mutation-store.ts';
import { selectRows } from '../src/store/rows.ts';
import { describeEachDatabase } from './support/databases.ts';
import * as make from './support/fixtures.ts';

const NOW = Date.UTC(2026, 10, 23, 10);

/** A valid row for each table, attached to the given live call. */
function validFields(
  table: TableName,
  liveCallId: string,
  campaignId: string,
): Record<string, unknown> {
  switch (table) {
    case 'liveCalls':
      return make.liveCallFields({ campaignId });
    case 'liveTranscripts':
      return make.transcriptFields(liveCallId, 1);
    case 'callObjectives':
      return make.objectiveFields(liveCallId);
    case 'nextActions':
      return make.nextActionFields(liveCallId);
    case 'livePerformanceMetrics':
      return make.metricsFields(liveCallId);
    case 'supervisorActions':
      return make.supervisorActionFields(liveCallId);
    case 'coachingRecommendations':
      return make.coachingFields(liveCallId);
    case 'callPhases':
      return make.phaseFields(liveCallId);
    case 'callSystemConfig':
      return make.systemConfigFields(liveCallId);
    case 'sentimentAnalysis':
      return make.sentimentFields(liveCallId);
    case 'campaigns':
      return make.campaignFields();
    case 'callAnalytics':
      // One roll-up per live call: each row written here stands for a call of its own.
      return make.analyticsFields(crypto.randomUUID(), { campaignId });
    case 'transcriptArchive': {
      const { liveCallId: _drop, isFinal: _final, ...line } = make.transcriptFields(liveCallId, 1);
      const callId = `archived-${crypto.randomUUID()}`;
      return { ...line, callAnalyticsId: '00000000-0000-4000-8000-000000000000', callId };
    }
  }
}

/** Writes one row through the store's own path for that table and returns it as read back. */
async function writeThroughStore(
  store: Store,
  table: TableName,
  fields: Record<string, unknown>,
): Promise<object> {
  const any = fields as never;
  switch (table) {
    case 'liveCalls':
      return store.calls.create(any);
    case 'campaigns':
      return store.campaigns.create(any);
    case 'callSystemConfig':
      return store.calls.upsertSystemConfig(any);
    case 'sentimentAnalysis':
      return store.calls.upsertSentiment(any);
    case 'callAnalytics':
      return store.analytics.record(any, []);
    case 'transcriptArchive': {
      const { callAnalyticsId: _id, ...line } = fields;
      const analytics = await store.analytics.record(
        make.analyticsFields(crypto.randomUUID(), { callId: String(fields.callId) }),
        [line as never],
      );
      const [archived] = await store.analytics.archivedTranscript(String(fields.callId));
      expect(archived?.callAnalyticsId).toBe(analytics._id);
      return archived!;
    }
    default: {
      const [stored] = await store.calls.insertDetails(table, [any]);
      return stored!;
    }
  }
}

/** The fields of a table's schema that hold a literal union, with their literals. */
function unionFields(table: TableName): Array<[string, string[]]> {
  const shape = TABLES[table].fields.shape as Record<string, z.ZodType>;
  return Object.entries(shape).flatMap(([field, schema]) => {
    const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
    return inner instanceof z.ZodEnum
      ? [[field, inner.options as string[]] as [string, string[]]]
      : [];
  });
}

/** The fields with a numeric range, each with a value just outside it. */
function rangeFields(table: TableName): Array<[string, number]> {
  const shape = TABLES[table].fields.shape as Record<string, z.ZodType>;
  return Object.entries(shape).flatMap(([field, schema]) => {
    const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
    if (!(inner instanceof z.ZodNumber)) return [];
    // z.int() reports MAX_SAFE_INTEGER as its maximum: only a real upper bound counts.
    if (inner.maxValue !== null && inner.maxValue < Number.MAX_SAFE_INTEGER)
      return [[field, inner.maxValue + 1] as [string, number]];
    if (inner.minValue !== null && inner.minValue > Number.MIN_SAFE_INTEGER)
      return [[field, inner.minValue - 1] as [string, number]];
    return [];
  });
}

function requiredFields(table: TableName): string[] {
  const shape = TABLES[table].fields.shape as Record<string, z.ZodType>;
  return Object.entries(shape)
    .filter(([, schema]) => !(schema instanceof z.ZodOptional))
    .map(([field]) => field);
}

const TABLE_NAMES = Object.keys(TABLES) as TableName[];

async function expectRefusedNaming(write: Promise<unknown>, field: string): Promise<void> {
  const error = await write.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected a refusal naming ${field}`).toBeInstanceOf(EarshotError);
  const earshot = error as EarshotError;
  expect(
    earshot.kind,
    earshot.cause instanceof Error ? earshot.cause.message : earshot.message,
  ).toBe('validation');
  expect(earshot.fields.map((f) => f.field)).toContain(field);
}

describeEachDatabase('data model', (store) => {
  let liveCallId: string;
  let campaignId: string;

  beforeAll(async () => {
    campaignId = (await store().campaigns.create(make.campaignFields()))._id;
    liveCallId = (await store().calls.create(make.liveCallFields({ campaignId })))._id;
  });

  describe.each(TABLE_NAMES)('%s', (table) => {
    it('round-trips a valid row as a seed document', async () => {
      const fields = validFields(table, liveCallId, campaignId);
      const stored = await writeThroughStore(store(), table, fields);
      const { callAnalyticsId: _ignored, ...comparable } = fields;
      expect(stored).toMatchObject(table === 'transcriptArchive' ? comparable : fields);
      // What the store returns is a valid document: _id, _creationTime, no nulls.
      expect(TABLES[table].document.parse(stored)).toEqual(stored);
    });

    it('accepts and reads back every literal of every union', async () => {
      for (const [field, literals] of unionFields(table)) {
        for (const literal of literals) {
          const fields = { ...validFields(table, liveCallId, campaignId), [field]: literal };
          const stored = (await writeThroughStore(store(), table, fields)) as Record<
            string,
            unknown
          >;
          expect(stored[field], `${table}.${field} = ${literal}`).toBe(literal);
        }
      }
    });

    it('refuses an invalid literal, naming the field', async () => {
      for (const [field] of unionFields(table)) {
        const fields = { ...validFields(table, liveCallId, campaignId), [field]: 'NOT-A-LITERAL' };
        await expectRefusedNaming(writeThroughStore(store(), table, fields), field);
      }
    });

    it('refuses a missing required field, naming the field', async () => {
      const skip = new Set(['callAnalyticsId']); // supplied by the store itself
      for (const field of requiredFields(table).filter((f) => !skip.has(f))) {
        const { [field]: _missing, ...fields } = validFields(table, liveCallId, campaignId);
        await expectRefusedNaming(writeThroughStore(store(), table, fields), field);
      }
    });

    it('refuses an out-of-range number, naming the field', async () => {
      for (const [field, value] of rangeFields(table)) {
        const fields = { ...validFields(table, liveCallId, campaignId), [field]: value };
        await expectRefusedNaming(writeThroughStore(store(), table, fields), field);
      }
    });
  });

  it('reads a whole call, all ten tables, in one call', async () => {
    const call = await store().calls.create(make.liveCallFields({ campaignId }));
    const id = call._id;
    await store().calls.insertDetails('liveTranscripts', [
      make.transcriptFields(id, 2),
      make.transcriptFields(id, 1),
    ]);
    await store().calls.insertDetails('callObjectives', [make.objectiveFields(id)]);
    await store().calls.insertDetails('nextActions', [make.nextActionFields(id)]);
    await store().calls.insertDetails('livePerformanceMetrics', [make.metricsFields(id)]);
    await store().calls.insertDetails('supervisorActions', [make.supervisorActionFields(id)]);
    await store().calls.insertDetails('coachingRecommendations', [
      make.coachingFields(id, { priority: 3 }),
      make.coachingFields(id, { priority: 9 }),
    ]);
    await store().calls.insertDetails('callPhases', [make.phaseFields(id)]);
    await store().calls.upsertSystemConfig(make.systemConfigFields(id));
    await store().calls.upsertSentiment(make.sentimentFields(id));

    const snapshot = await store().calls.read(id);
    expect(snapshot?.liveCall).toEqual(call);
    expect(snapshot?.liveTranscripts.map((t) => t.order)).toEqual([1, 2]);
    expect(snapshot?.callObjectives).toHaveLength(1);
    expect(snapshot?.nextActions).toHaveLength(1);
    expect(snapshot?.livePerformanceMetrics).toHaveLength(1);
    expect(snapshot?.supervisorActions).toHaveLength(1);
    expect(snapshot?.coachingRecommendations.map((c) => c.priority)).toEqual([9, 3]);
    expect(snapshot?.callPhases).toHaveLength(1);
    expect(snapshot?.callSystemConfig?.sipProvider).toBe('Twilio');
    expect(snapshot?.sentimentAnalysis?.trend).toBe('stable');
    for (const transcript of snapshot!.liveTranscripts)
      TABLES.liveTranscripts.document.parse(transcript);
  });

  it('deletes every detail row with its live call (cascade)', async () => {
    const call = await store().calls.create(make.liveCallFields());
    await store().calls.insertDetails('liveTranscripts', [make.transcriptFields(call._id, 1)]);
    await store().calls.upsertSentiment(make.sentimentFields(call._id));
    expect(await store().calls.delete(call._id)).toBe(true);
    expect(await store().calls.read(call._id)).toBeUndefined();
    expect(await store().calls.listTranscripts(call._id)).toEqual([]);
  });

  it('commits a call, its children and an update of the call in one statement, or nothing of them', async () => {
    const mutations = new MutationStore(store().database);
    const doc = <T extends object>(fields: T) => ({
      _id: randomUUID(),
      _creationTime: Date.now(),
      ...fields,
    });
    const call = doc(make.liveCallFields());
    // The children come before their parent in the list: the statement writes parents first.
    await mutations.commit([
      { table: 'liveTranscripts', doc: doc(make.transcriptFields(call._id, 1)) },
      { table: 'liveCalls', doc: call } as Mutation,
      { table: 'liveCalls', doc: { ...call, status: 'connected' } } as Mutation,
      { table: 'callObjectives', doc: doc(make.objectiveFields(call._id)) } as Mutation,
    ] as Mutation[]);
    const stored = await store().calls.read(call._id);
    expect(stored?.liveCall.status).toBe('connected'); // the last version of a row wins
    expect(stored?.liveTranscripts).toHaveLength(1);
    expect(stored?.callObjectives).toHaveLength(1);

    // A child of a call that does not exist fails the whole statement: the new call is not kept.
    const other = doc(make.liveCallFields());
    const orphan = doc(make.transcriptFields(randomUUID(), 1));
    await expect(
      mutations.commit([
        { table: 'liveCalls', doc: other },
        { table: 'liveTranscripts', doc: orphan },
      ] as Mutation[]),
    ).rejects.toBeInstanceOf(EarshotError);
    expect(await store().calls.read(other._id)).toBeUndefined();
  });

  it('leaves audit entries and event rows as they were when a commit is retried', async () => {
    const mutations = new MutationStore(store().database);
    const entry = {
      _id: randomUUID(),
      _creationTime: Date.now(),
      at: Date.now(),
      event: 'supervisor_action',
      actorKind: 'user',
      actorId: 'u-1',
      actorName: 'Dana',
      target: 'call-1',
      detail: { action: 'ADD_NOTE' },
    };
    await mutations.commit([{ table: 'auditLog', doc: entry }]);
    // The same commit again (its reply was lost, say): the append-only log is not updated,
    // which its trigger would refuse, and the statement succeeds.
    await mutations.commit([{ table: 'auditLog', doc: { ...entry, actorName: 'Changed' } }]);
    const rows = await selectRows<{ actor_name: string }>(
      store().database.db,
      sql`select actor_name from audit_log where id = ${entry._id}`,
    );
    expect(rows).toEqual([{ actor_name: 'Dana' }]);

    // Event rows are identified by call and seq: a retried commit keeps the first of each.
    const call = { _id: randomUUID(), _creationTime: Date.now(), ...make.liveCallFields() };
    const event = (seq: number, hash: string): Mutation => ({
      table: 'callEvents',
      doc: { liveCallId: call._id, seq, type: 'audio', hash, receivedAt: 1 },
    });
    await mutations.commit([
      { table: 'liveCalls', doc: call } as Mutation,
      event(1, 'a'),
      event(2, 'b'),
    ]);
    await mutations.commit([event(2, 'b'), event(3, 'c')]);
    const events = await selectRows<{ seq: number; hash: string }>(
      store().database.db,
      sql`select seq, hash from call_events where live_call_id = ${call._id} order by seq`,
    );
    expect(events).toEqual([
      { seq: 1, hash: 'a' },
      { seq: 2, hash: 'b' },
      { seq: 3, hash: 'c' },
    ]);
  });

  it('rewrites busy per-call rows in place: a live call updated every commit does not grow its table', async () => {
    // As the write-behind does: each commit upserts the latest version of every call that
    // changed. With full pages each new version lands on a fresh page (the table grew from 32
    // to 717 pages for 500 calls in 20 s of the realtime benchmark); with room left on each
    // page (fillfactor, decision 0024) it is a HOT update on the row's own page.
    const mutations = new MutationStore(store().database);
    const calls = Array.from({ length: 40 }, () => ({
      _id: randomUUID(),
      _creationTime: Date.now(),
      ...make.liveCallFields(),
    }));
    const commitRound = (round: number) =>
      mutations.commit(
        calls.map((call) => ({
          table: 'liveCalls',
          doc: { ...call, duration: round, agentGain: round % 100, updatedAt: NOW + round },
        })) as Mutation[],
      );
    const pages = async () => {
      const [row] = await selectRows<{ pages: number }>(
        store().database.db,
        sql`select (pg_relation_size('live_calls') / current_setting('block_size')::int)::int as "pages"`,
      );
      return row!.pages;
    };
    await commitRound(0);
    const before = await pages();
    for (let round = 1; round <= 40; round++) await commitRound(round);
    expect((await store().calls.read(calls[0]!._id))?.liveCall.duration).toBe(40);
    expect(await pages()).toBeLessThanOrEqual(before + 2);
  });

  it('writes 10,000 transcript rows through the batched path and reads them back complete and in order', async () => {
    const call = await store().calls.create(make.liveCallFields());
    const rows = Array.from({ length: 10_000 }, (_, order) =>
      make.transcriptFields(call._id, order),
    );
    // Arrive out of order: the order column, not arrival, decides how they read back.
    const shuffled = [...rows].sort(
      (a, b) => ((a.order * 7919) % 10_007) - ((b.order * 7919) % 10_007),
    );
    const stored = await store().calls.insertDetails('liveTranscripts', shuffled);
    expect(stored).toHaveLength(10_000);
    const read = await store().calls.listTranscripts(call._id);
    expect(read.map((t) => t.order)).toEqual(rows.map((t) => t.order));
    expect(read.map((t) => t.text)).toEqual(rows.map((t) => t.text));
  });

  it('has every index of the seed, with the seed’s columns, in the catalog', async () => {
    const rows = await selectRows<{ table: string; index: string; columns: string }>(
      store().database.db,
      sql`
      select t.relname as "table", i.relname as "index",
             array_to_string(array_agg(a.attname order by k.ord), ',') as "columns"
      from pg_index x
      join pg_class i on i.oid = x.indexrelid
      join pg_class t on t.oid = x.indrelid
      cross join lateral unnest(x.indkey) with ordinality as k(attnum, ord)
      join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum
      where t.relnamespace = 'public'::regnamespace
      group by t.relname, i.relname`,
    );
    const found = new Set(rows.map((r) => `${r.table}.${r.index}(${r.columns})`));
    for (const expected of SEED_INDEXES) expect(found, expected).toContain(expected);
  });

  it('applies migrations again as a no-op, keeping data', async () => {
    const countMigrations = async () => {
      const [row] = await selectRows<{ n: number }>(
        store().database.db,
        sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
      );
      return row!.n;
    };
    const before = await countMigrations();
    expect(before).toBeGreaterThan(0);
    // The suite's database started empty: every table exists because migrations ran at open.
    const tables = await selectRows<{ name: string }>(
      store().database.db,
      sql`select table_name as name from information_schema.tables where table_schema = 'public'`,
    );
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(EXPECTED_TABLES));
    const campaign = await store().campaigns.create(make.campaignFields());
    await store().database.migrate();
    await store().database.migrate();
    expect(await countMigrations()).toBe(before);
    expect(await store().campaigns.get(campaign._id)).toEqual(campaign);
  });
});

const EXPECTED_TABLES = [
  'live_calls',
  'live_transcripts',
  'call_objectives',
  'next_actions',
  'live_performance_metrics',
  'supervisor_actions',
  'coaching_recommendations',
  'call_phases',
  'call_system_config',
  'sentiment_analysis',
  'campaigns',
  'call_analytics',
  'transcript_archive',
];

/** The seed's indexes as table.index(columns) in SQL names: `by_x` becomes `<table>_by_x`. */
const SEED_INDEXES = [
  'live_calls.live_calls_by_call_id(call_id)',
  'live_calls.live_calls_by_status(status)',
  'live_calls.live_calls_by_agent(agent_name)',
  'live_calls.live_calls_by_session(session_id)',
  'live_transcripts.live_transcripts_by_call(live_call_id,order)',
  'live_transcripts.live_transcripts_by_timestamp(live_call_id,created_at)',
  'call_objectives.call_objectives_by_call(live_call_id,order)',
  'call_objectives.call_objectives_by_status(live_call_id,status)',
  'next_actions.next_actions_by_call(live_call_id,priority,order)',
  'live_performance_metrics.live_performance_metrics_by_call(live_call_id)',
  'supervisor_actions.supervisor_actions_by_call(live_call_id,timestamp)',
  'supervisor_actions.supervisor_actions_by_supervisor(supervisor_id,timestamp)',
  'coaching_recommendations.coaching_recommendations_by_call(live_call_id,is_active,priority)',
  'call_phases.call_phases_by_call(live_call_id,order)',
  'call_phases.call_phases_by_status(live_call_id,status)',
  'call_system_config.call_system_config_by_call(live_call_id)',
  'sentiment_analysis.sentiment_analysis_by_call(live_call_id)',
  'campaigns.campaigns_by_name(name)',
  'campaigns.campaigns_by_status(status)',
];
