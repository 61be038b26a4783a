// The engine's standalone processes (api/main.ts, worker/main.ts) as managed children of a
// multi-process topology: npm run start:cluster runs the compiled dist/, the topology tests the
// TypeScript sources. Each its own log, ready when it serves.
import path from 'node:path';
import { managedProcess, type ManagedProcess, type ManagedProcessOptions } from './managed-process';
import { projectRoot } from './temporal-binary';

export type AppRole = 'api' | 'worker';

/** How to run a role's entry point: from dist/ (compiled) or from the sources through ts-node. */
export function entryPoint(role: AppRole, from: 'dist' | 'sources'): { command: string; args: string[] } {
  const root = projectRoot();
  return from === 'dist'
    ? { command: process.execPath, args: [path.join(root, 'dist', role, 'main.js')] }
    : { command: process.execPath, args: ['-r', 'ts-node/register', path.join(root, role, 'main.ts')] };
}

export interface AppProcessOptions {
  role: AppRole;
  name: string;
  from: 'dist' | 'sources';
  /** The process's whole environment; PORT is where an API answers its readiness check. */
  env: NodeJS.ProcessEnv;
  logFile: string;
  readyTimeoutMs?: number;
  keepRunning?: ManagedProcessOptions['keepRunning'];
}

export function appProcess(o: AppProcessOptions): ManagedProcess {
  const { command, args } = entryPoint(o.role, o.from);
  return managedProcess({
    name: o.name,
    command,
    args,
    // From the project root: ts-node finds tsconfig.json there, the pages their templates.
    cwd: projectRoot(),
    env: o.from === 'sources' ? { TS_NODE_TRANSPILE_ONLY: 'true', ...o.env } : o.env,
    logFile: o.logFile,
    // An API once it says it is ready (migrated, connected, listening); a worker once it logged that
    // it started (polling its task queue).
    ready:
      o.role === 'api'
        ? async () => (await fetch(`http://127.0.0.1:${o.env.PORT}/readyz`)).ok
        : async (p) => p.output().includes('"msg":"started"'),
    readyTimeoutMs: o.readyTimeoutMs ?? 120_000,
    keepRunning: o.keepRunning,
  });
}
