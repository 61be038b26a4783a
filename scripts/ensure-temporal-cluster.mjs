#!/usr/bin/env node
// Finds the binaries of the production shape (the Temporal server, its SQL schema tool, the UI
// server), building the releases pinned in ops/temporal/cluster.env with Go when they are missing.
// Each lives in a per-user cache keyed by version (outside the clone, so fresh clones reuse it),
// beside the config templates of the same release. Prints the resolved paths as JSON on stdout;
// progress goes to stderr.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

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

/**
 * What is built, where it goes, and what each first build costs (seen on a 2-core machine with a
 * warm module cache: the server and its tool about 10 minutes, the UI server about 2).
 */
const PARTS = [
  {
    name: `Temporal server ${SERVER_VERSION} and its SQL tool`,
    dir: () => path.join(cacheBase(), `temporal-server-${SERVER_VERSION}`),
    module: `go.temporal.io/server@${SERVER_VERSION}`,
    packages: [`go.temporal.io/server/cmd/server@${SERVER_VERSION}`, `go.temporal.io/server/cmd/tools/sql@${SERVER_VERSION}`],
    // go install names a binary after its package folder.
    binaries: { server: 'server', sql: 'sql' },
    minutes: 10,
    // The release's own config template, rendered by the server from the environment; the
    // temporalio/server image of the same release renders the same variables.
    configs: ['config/docker.yaml'],
  },
  {
    name: `Temporal UI server ${UI_VERSION}`,
    dir: () => path.join(cacheBase(), `temporal-ui-server-${UI_VERSION}`),
    module: `github.com/temporalio/ui-server/v2@${UI_VERSION}`,
    packages: [`github.com/temporalio/ui-server/v2/cmd/server@${UI_VERSION}`],
    binaries: { ui: 'server' },
    minutes: 3,
    // The same template the temporalio/ui image renders from its environment.
    configs: ['config/docker.yaml'],
    // Loaded before docker.yaml, which does not name a host: the UI answers anybody who reaches it
    // (no authentication), so the local cluster keeps it on loopback.
    extra: { 'config/base.yaml': 'host: 127.0.0.1\n' },
  },
];

function complete(part) {
  const dir = part.dir();
  return [...Object.values(part.binaries), ...part.configs, ...Object.keys(part.extra ?? {})].every((f) => existsSync(path.join(dir, f)));
}

function go(args, env = {}) {
  const r = spawnSync('go', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', ...env } });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    // The download chatter is noise; what is left is the reason.
    const why = (r.stderr || '').split('\n').filter((l) => !l.startsWith('go: downloading')).join('\n');
    throw new Error(`go ${args.join(' ')} failed:\n${why}`);
  }
  return r.stdout;
}

function build(part) {
  const dir = part.dir();
  const staging = path.join(dir, `.build-${process.pid}`);
  mkdirSync(staging, { recursive: true });
  const missing = Object.values(part.binaries).some((f) => !existsSync(path.join(dir, f)));
  const started = Date.now();
  if (missing) process.stderr.write(`[cluster] building ${part.name} with Go into ${dir} (first time only, about ${part.minutes} minutes)\n`);
  try {
    if (missing) go(['install', ...part.packages], { GOBIN: staging });
    const moduleDir = JSON.parse(go(['mod', 'download', '-json', part.module])).Dir;
    const files = [...part.configs, ...Object.keys(part.extra ?? {})];
    for (const rel of part.configs) {
      mkdirSync(path.dirname(path.join(staging, rel)), { recursive: true });
      copyFileSync(path.join(moduleDir, rel), path.join(staging, rel));
    }
    for (const [rel, text] of Object.entries(part.extra ?? {})) {
      mkdirSync(path.dirname(path.join(staging, rel)), { recursive: true });
      writeFileSync(path.join(staging, rel), text);
    }
    // Configs first, binaries last: a binary in place means its part is complete. Renames, so a
    // concurrent setup never sees a half-written file.
    for (const rel of files) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      renameSync(path.join(staging, rel), path.join(dir, rel));
    }
    if (missing) for (const file of Object.values(part.binaries)) renameSync(path.join(staging, file), path.join(dir, file));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  if (missing) process.stderr.write(`[cluster] built ${part.name} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
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

/** findCluster(), building what is missing; null when something is missing and there is no Go. */
export function ensureCluster() {
  const found = findCluster();
  if (found) return found;
  if (spawnSync('go', ['version']).status !== 0) return null;
  for (const part of PARTS) if (!complete(part)) build(part);
  return findCluster();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const found = ensureCluster();
  if (!found) {
    process.stderr.write('[cluster] the Temporal server, SQL tool or UI server is not built and there is no Go toolchain to build them\n');
    // --optional (the test commands): the topology tests skip instead.
    process.exit(process.argv.includes('--optional') ? 0 : 1);
  }
  process.stdout.write(JSON.stringify(found, null, 2) + '\n');
}
