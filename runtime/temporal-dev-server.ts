// Starts the Temporal CLI dev server (real server, SQLite file, Web UI) as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { stopChild } from './child-process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { devServerSearchAttributeArgs } from '../temporal/search-attributes';

export interface DevServer {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  binary: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** Persistent SQLite file; the dev server keeps workflows across restarts with it. */
  dbFile: string;
  logFile: string;
}

export async function startTemporalDevServer(o: DevServerOptions): Promise<DevServer> {
  mkdirSync(path.dirname(o.dbFile), { recursive: true });
  const log = createWriteStream(o.logFile, { flags: 'a' });
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(o.port),
    '--ui-port', String(o.uiPort),
    '--db-filename', o.dbFile,
    '--namespace', o.namespace,
    '--log-level', 'warn',
    ...devServerSearchAttributeArgs(),
  ];
  const child = spawn(o.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const address = `127.0.0.1:${o.port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`temporal dev server exited with code ${code}; see ${o.logFile}`))),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const conn = await Promise.race([Connection.connect({ address, connectTimeout: 1_000 }), exited]);
      await conn.workflowService.describeNamespace({ namespace: o.namespace });
      await conn.close();
      break;
    } catch (err) {
      if (Date.now() > deadline || (err as Error).message.includes('exited with code')) {
        child.kill('SIGKILL');
        throw err;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    address,
    uiUrl: `http://localhost:${o.uiPort}`,
    process: child,
    stop: () => stopChild(child),
  };
}
