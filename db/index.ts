import { Sequelize } from 'sequelize';
import { initModels } from './models';

export * from './models';
export { migrate } from './migrate';

export function connectDatabase(url: string, opts: { poolMax?: number } = {}): Sequelize {
  const sequelize = new Sequelize(url, {
    dialect: 'postgres',
    logging: false,
    pool: { max: opts.poolMax ?? 10, min: 0, idle: 10_000, acquire: 30_000 },
  });
  initModels(sequelize);
  return sequelize;
}
