import pg from 'pg';
import { Sequelize } from 'sequelize';
import { initModels } from './models';

export * from './models';
export { migrate } from './migrate';

/**
 * pg's Client with an 'error' listener from the start. Sequelize adds its own only once connect()
 * has resolved, a microtask later; a server that is shutting down can send ReadyForQuery and its
 * FATAL "terminating connection" in one packet, and pg emits that error in between, to nobody: the
 * process dies of it (a Postgres restart under load killed both worker processes of the topology
 * fault test). Here the connection fails its first query instead and the pool drops it; every
 * later error still reaches Sequelize's listener.
 */
export class ListeningClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', () => {});
  }
}

/** pg as Sequelize loads it, with ListeningClient for Client. */
const pgModule: typeof pg = Object.assign(Object.create(pg) as typeof pg, { Client: ListeningClient });

export function connectDatabase(url: string, opts: { poolMax?: number } = {}): Sequelize {
  const sequelize = new Sequelize(url, {
    dialect: 'postgres',
    dialectModule: pgModule,
    logging: false,
    pool: { max: opts.poolMax ?? 10, min: 0, idle: 10_000, acquire: 30_000 },
  });
  initModels(sequelize);
  return sequelize;
}
