// The store: one database (PGlite or PostgreSQL) and a repository per aggregate.
import { AnalyticsStore } from './analytics-store.ts';
import { CampaignStore } from './campaign-store.ts';
import { openDatabase, type Database, type DatabaseTarget } from './database.ts';
import { LiveCallStore } from './live-call-store.ts';

export interface Store {
  readonly database: Database;
  readonly calls: LiveCallStore;
  readonly campaigns: CampaignStore;
  readonly analytics: AnalyticsStore;
  close(): Promise<void>;
}

/** Opens the database, applies pending migrations and returns the repositories. */
export async function openStore(target: DatabaseTarget): Promise<Store> {
  const database = await openDatabase(target);
  try {
    await database.migrate();
  } catch (error) {
    await database.close();
    throw error;
  }
  return {
    database,
    calls: new LiveCallStore(database.db),
    campaigns: new CampaignStore(database),
    analytics: new AnalyticsStore(database.db),
    close: () => database.close(),
  };
}

export { AnalyticsStore, CampaignStore, LiveCallStore };
export type { Database, DatabaseTarget };
export { openDatabase, MIGRATIONS_FOLDER, type Db } from './database.ts';
export { toEarshotError, isOutage, isUnavailable } from './database-errors.ts';
