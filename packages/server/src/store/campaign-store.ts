// Campaigns: the programmes live calls belong to.
import type { Campaign, CampaignFields, CampaignStatus } from '@earshot/protocol';
import { EarshotError } from '@earshot/protocol';
import { asc, eq } from 'drizzle-orm';
import type { Db } from './database.ts';
import { insertMany, query, toDocument } from './rows.ts';
import { campaigns } from './schema.ts';

export class CampaignStore {
  constructor(private readonly db: Db) {}

  async create(fields: CampaignFields): Promise<Campaign> {
    const [row] = await insertMany(this.db, campaigns, [fields]);
    return toDocument(row!);
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

  async update(id: string, patch: Partial<Omit<CampaignFields, 'createdAt'>>): Promise<Campaign> {
    const [row] = await query(() =>
      this.db.update(campaigns).set(patch).where(eq(campaigns._id, id)).returning(),
    );
    if (!row) throw new EarshotError('not_found', `No campaign ${id}`);
    return toDocument(row);
  }
}
