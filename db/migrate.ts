// Schema changes go through these migrations (umzug), never sequelize.sync().
import type { Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { LOCKS } from './locks';
import * as m001 from './migrations/001-initial-schema';
import * as m002 from './migrations/002-entitlements-and-access';
import * as m003 from './migrations/003-sessions-and-brand-contacts';
import * as m004 from './migrations/004-idempotent-intake';
import * as m005 from './migrations/005-web-and-inbound-mail';
import * as m006 from './migrations/006-scheduled-work';
import * as m007 from './migrations/007-queue-order-index';
import * as m008 from './migrations/008-mail-outbox';
import * as m009 from './migrations/009-superseded-records';
import * as m010 from './migrations/010-held-mail';
import * as m011 from './migrations/011-limits-and-session-generations';
import * as m012 from './migrations/012-stuck-records';
import * as m013 from './migrations/013-sweep-claims';
import * as m014 from './migrations/014-prepared-mail';
import * as m015 from './migrations/015-ticket-texts';

// Listed explicitly so the same code runs from TypeScript sources and from the compiled dist/.
const MIGRATIONS = [
  { name: '001-initial-schema', module: m001 },
  { name: '002-entitlements-and-access', module: m002 },
  { name: '003-sessions-and-brand-contacts', module: m003 },
  { name: '004-idempotent-intake', module: m004 },
  { name: '005-web-and-inbound-mail', module: m005 },
  { name: '006-scheduled-work', module: m006 },
  { name: '007-queue-order-index', module: m007 },
  { name: '008-mail-outbox', module: m008 },
  { name: '009-superseded-records', module: m009 },
  { name: '010-held-mail', module: m010 },
  { name: '011-limits-and-session-generations', module: m011 },
  { name: '012-stuck-records', module: m012 },
  { name: '013-sweep-claims', module: m013 },
  { name: '014-prepared-mail', module: m014 },
  { name: '015-ticket-texts', module: m015 },
];

export function migrator(sequelize: Sequelize, logger?: { info: (msg: string) => void }) {
  return new Umzug({
    migrations: MIGRATIONS.map(({ name, module }) => ({ name, up: module.up, down: module.down })),
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: logger ? { info: (e) => logger.info(`migration ${JSON.stringify(e)}`), warn: () => {}, error: () => {}, debug: () => {} } : undefined,
  });
}

export async function migrate(sequelize: Sequelize): Promise<string[]> {
  // One migrator at a time even when API and worker boot together against the same database:
  // the transaction's connection holds the lock while the migrations run on others.
  return sequelize.transaction(async (transaction) => {
    await sequelize.query('SELECT pg_advisory_xact_lock(:key)', { transaction, replacements: { key: LOCKS.migrations } });
    const done = await migrator(sequelize).up();
    return done.map((m) => m.name);
  });
}
