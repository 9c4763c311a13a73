// Campaigns: the programmes live calls belong to.
import type { Campaign, CampaignFields, CampaignStatus } from '@earshot/protocol';
import { EarshotError } from '@earshot/protocol';
import { asc, eq } from 'drizzle-orm';
import type { Database, Db } from './database.ts';
import { insertMany, query, toDocument, writeWith, type AlsoWrite } from './rows.ts';
import { campaigns } from './schema.ts';

export class CampaignStore {
  private readonly db: Db;

  constructor(private readonly database: Pick<Database, 'db' | 'transaction'>) {
    this.db = database.db;
  }

  /** `also` commits with the campaign (its audit entry). */
  async create(fields: CampaignFields, also?: AlsoWrite<Campaign>): Promise<Campaign> {
    return writeWith(
      this.database,
      async (db) => toDocument((await insertMany(db, campaigns, [fields]))[0]!),
      also,
    );
  }

  async get(id: string): Promise<Campaign | undefined> {
    const [row] = await query(() => this.db.select().from(campaigns).where(eq(campaigns._id, id)));
    return row && toDocument(row);
  }

  async findByName(name: string): Promise<Campaign | undefined> {
    const [row] = await query(() =>
      this.db
        .select()
        .from(campaigns)
        .where(eq(campaigns.name, name))
        .orderBy(asc(campaigns._creationTime))
        .limit(1),
    );
    return row && toDocument(row);
  }

  async list(filter: { status?: CampaignStatus } = {}): Promise<Campaign[]> {
    const rows = await query(() =>
      this.db
        .select()
        .from(campaigns)
        .where(filter.status ? eq(campaigns.status, filter.status) : undefined)
        .orderBy(asc(campaigns.name)),
    );
    return rows.map(toDocument);
  }

  /** `also` commits with the change (its audit entry). */
  async update(
    id: string,
    patch: Partial<Omit<CampaignFields, 'createdAt'>>,
    also?: AlsoWrite<Campaign>,
  ): Promise<Campaign> {
    return writeWith(
      this.database,
      async (db) => {
        const [row] = await query(() =>
          db.update(campaigns).set(patch).where(eq(campaigns._id, id)).returning(),
        );
        if (!row) throw new EarshotError('not_found', `No campaign ${id}`);
        return toDocument(row);
      },
      also,
    );
  }
}
