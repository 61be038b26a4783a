#!/usr/bin/env node
// Finds the binaries of the production shape (the Temporal server, its SQL schema tool, the UI
// server), building the releases pinned in ops/temporal/cluster.env with Go when they are missing.
// Each lives in a per-user cache keyed by version (outside the clone, so fresh clones reuse it),
// beside the config templates of the same release. Prints the resolved paths as JSON on stdout;
// progress goes to stderr, a few lines: Go's own output goes to a log file beside each build,
// shown only when the build fails. As scripts/ensure-temporal.mjs does for the CLI.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { goEnv, goInstall, seconds } from './go-install.mjs';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const thisScript = fileURLToPath(import.meta.url);

/** ops/temporal/cluster.env as an object: KEY=VALUE lines, # comments, nothing expanded (Compose's env_file rules). */
export function readClusterEnv(file = path.join(projectRoot, 'ops', 'temporal', 'cluster.env')) {
  const env = {};
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`${file}: not KEY=VALUE: ${line}`);
    env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

const pins = readClusterEnv();
export const SERVER_VERSION = `v${pins.TEMPORAL_SERVER_VERSION}`;
export const UI_VERSION = `v${pins.TEMPORAL_UI_VERSION}`;

function cacheBase() {
  return path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'last-call-sla');
}

/** What is built, where it goes, and what a first build costs on 2 cores with a warm module cache. */
const PARTS = [
  {
    name: `the Temporal server ${SERVER_VERSION} and its SQL tool`,
    dir: () => path.join(cacheBase(), `temporal-server-${SERVER_VERSION}`),
    module: `go.temporal.io/server@${SERVER_VERSION}`,
    packages: [`go.temporal.io/server/cmd/server@${SERVER_VERSION}`, `go.temporal.io/server/cmd/tools/sql@${SERVER_VERSION}`],
    // go install names a binary after its package's folder.
    binaries: ['server', 'sql'],
    cost: 'about 10 minutes',
    // The release's own config template, rendered by the server from the environment; the
    // temporalio/server image of the same release renders the same variables.
    configs: ['config/docker.yaml'],
  },
  {
    name: `the Temporal UI server ${UI_VERSION}`,
    dir: () => path.join(cacheBase(), `temporal-ui-server-${UI_VERSION}`),
    module: `github.com/temporalio/ui-server/v2@${UI_VERSION}`,
    packages: [`github.com/temporalio/ui-server/v2/cmd/server@${UI_VERSION}`],
    binaries: ['server'],
    cost: '1 to 3 minutes',
    // The same template the temporalio/ui image renders from its environment.
    configs: ['config/docker.yaml'],
    // Loaded before docker.yaml, which names no host: the UI asks nobody who they are, so the
    // local cluster keeps it on loopback.
    extra: { 'config/base.yaml': 'host: 127.0.0.1\n' },
  },
];

const files = (part) => [...part.configs, ...Object.keys(part.extra ?? {})];
const complete = (part) => [...part.binaries, ...files(part)].every((f) => existsSync(path.join(part.dir(), f)));
const say = (line) => process.stderr.write(`[cluster] ${line}\n`);

/** Where Go's output of a part's last build is kept. */
export function buildLogPath(part = PARTS[0]) {
  return path.join(part.dir(), 'build.log');
}

/** Builds what a part lacks into its cache folder; rejects when the build fails, after showing why. */
async function buildPart(part) {
  const dir = part.dir();
  const staging = path.join(dir, `.build-${process.pid}`);
  mkdirSync(staging, { recursive: true });
  try {
    if (part.binaries.some((b) => !existsSync(path.join(dir, b)))) {
      const logFile = buildLogPath(part);
      say(`building ${part.name} with Go, once per machine (${part.cost} on 2 cores when the CLI build has filled the module cache; later clones reuse it from ${dir})`);
      say(`Go's output goes to ${logFile}`);
      const tookMs = await goInstall({
        packages: part.packages,
        gobin: staging,
        binaries: part.binaries,
        logFile,
        say,
        hint: 'fix the cause and run it again (npm run setup:cluster)',
        failure: `building ${part.name} failed`,
      });
      say(`built ${part.name} in ${seconds(tookMs)}`);
    }
    // The release's config files, from its module (downloaded by the build, or fetched now).
    const moduleDir = JSON.parse(spawnSync('go', ['mod', 'download', '-json', part.module], { encoding: 'utf8', env: goEnv() }).stdout || '{}').Dir;
    if (!moduleDir) throw new Error(`go mod download ${part.module} did not say where the module is`);
    for (const rel of part.configs) {
      mkdirSync(path.dirname(path.join(staging, rel)), { recursive: true });
      copyFileSync(path.join(moduleDir, rel), path.join(staging, rel));
    }
    for (const [rel, text] of Object.entries(part.extra ?? {})) {
      mkdirSync(path.dirname(path.join(staging, rel)), { recursive: true });
      writeFileSync(path.join(staging, rel), text);
    }
    // Configs first, binaries last, each renamed into place: a concurrent setup never sees half a
    // file, and a part with its binaries in place is complete.
    for (const rel of files(part)) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      renameSync(path.join(staging, rel), path.join(dir, rel));
    }
    for (const b of part.binaries) if (existsSync(path.join(staging, b))) renameSync(path.join(staging, b), path.join(dir, b));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Paths of the cluster's binaries and config folders, or null when a part is not built yet. */
export function findCluster() {
  if (!PARTS.every(complete)) return null;
  const [server, ui] = PARTS.map((p) => p.dir());
  return {
    serverVersion: SERVER_VERSION,
    uiVersion: UI_VERSION,
    server: path.join(server, 'server'),
    sqlTool: path.join(server, 'sql'),
    serverRoot: server,
    ui: path.join(ui, 'server'),
    uiRoot: ui,
  };
}

/** Builds every missing part; resolves to findCluster(), or null without Go. */
export async function buildCluster() {
  if (spawnSync('go', ['version'], { encoding: 'utf8' }).status !== 0) return null;
  for (const part of PARTS) if (!complete(part)) await buildPart(part);
  return findCluster();
}

/**
 * The paths, building first what is missing (null: not built and no Go). Synchronous for its
 * callers (runtime/temporal-binary.ts): a build runs this script as a child, whose progress lines
 * pass through on stderr.
 */
export function ensureCluster() {
  const found = findCluster();
  if (found) return found;
  const r = spawnSync(process.execPath, [thisScript, '--optional'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error('building the cluster binaries failed; see the build.log beside each in ~/.cache/last-call-sla/');
  return r.stdout.trim() ? JSON.parse(r.stdout) : null;
}

// No top-level await: runtime/temporal-binary.ts require()s this module, which Node refuses for one that has it.
if (process.argv[1] && path.resolve(process.argv[1]) === thisScript) {
  const found = findCluster();
  (found ? Promise.resolve(found) : buildCluster()).then(
    (paths) => {
      if (paths) return process.stdout.write(JSON.stringify(paths, null, 2) + '\n');
      say('the Temporal server, SQL tool or UI server is not built and there is no Go toolchain to build them');
      // --optional (the test commands): the topology tests skip instead.
      if (!process.argv.includes('--optional')) process.exitCode = 1;
    },
    () => process.exit(1),
  );
}
