// Postgres advisory locks: how the processes of one deployment take turns at what must happen once
// however many replicas start together (the migrations; a Temporal namespace's setup and its
// Schedules). The keys live here so no two uses ever share one.
import { Client } from 'pg';

export const LOCKS = { migrations: 4217001, temporalSetup: 4217002 } as const;

/**
 * Runs `fn` while holding the advisory lock `key`, on a connection of its own that is closed
 * afterwards: a holder that dies (a killed process) ends its session, and with it the lock. Waits
 * at most `waitMs` for a holder to finish; then fails rather than waiting forever.
 */
export async function withAdvisoryLock<T>(databaseUrl: string, key: number, fn: () => Promise<T>, waitMs = 60_000): Promise<T> {
  const client = new Client({ connectionString: databaseUrl });
  // A server going away mid-turn fails the turn's own calls; unheard, its error would end the process.
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(`SET lock_timeout = ${Math.max(1, Math.floor(waitMs))}`);
    await client.query('SELECT pg_advisory_lock($1)', [key]);
    return await fn();
  } finally {
    await client.end().catch(() => {});
  }
}
