// Finds (or builds, first time only) the Temporal CLI through scripts/ensure-temporal.mjs, the one
// place that knows where the binary lives. Works from the TypeScript sources and from dist/.
import { existsSync } from 'node:fs';
import path from 'node:path';

export function projectRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json')) || existsSync(path.join(dir, 'tsconfig.json')) === false) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`project root not found above ${from}`);
    dir = up;
  }
  return dir;
}

export function ensureTemporalBinary(): string | null {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path.join(projectRoot(), 'scripts', 'ensure-temporal.mjs')) as { ensureTemporal: () => string | null };
  return mod.ensureTemporal();
}

/** The production shape's binaries and config folders (scripts/ensure-temporal-cluster.mjs). */
export interface ClusterBinaries {
  serverVersion: string;
  uiVersion: string;
  server: string;
  sqlTool: string;
  /** --root of the server: its config/docker.yaml is the release's template. */
  serverRoot: string;
  ui: string;
  uiRoot: string;
}

interface ClusterScript {
  ensureCluster: () => ClusterBinaries | null;
  findCluster: () => ClusterBinaries | null;
  readClusterEnv: (file?: string) => Record<string, string>;
}

function clusterScript(): ClusterScript {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(projectRoot(), 'scripts', 'ensure-temporal-cluster.mjs')) as ClusterScript;
}

/** The cluster's binaries, built first when missing (minutes, once); null without Go to build them. */
export function ensureClusterBinaries(): ClusterBinaries | null {
  return clusterScript().ensureCluster();
}

/** The cluster's binaries if they are built (never builds: tests skip without them). */
export function findClusterBinaries(): ClusterBinaries | null {
  return clusterScript().findCluster();
}

/** ops/temporal/cluster.env: the versions and server settings both shapes run with. */
export function clusterSettings(): Record<string, string> {
  return clusterScript().readClusterEnv();
}
