#!/usr/bin/env node
// Finds a Temporal CLI binary, building the pinned release with Go when none exists.
// Order: $TEMPORAL_CLI_PATH, `temporal` on PATH, the project's .tools/ folder,
// then a per-user cache keyed by version (outside the clone, so fresh clones reuse it).
// Prints the resolved path on stdout; progress goes to stderr.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const exe = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'last-call-sla', `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

function onPath() {
  const r = spawnSync(process.platform === 'win32' ? 'where' : 'which', [exe], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() || null : null;
}

export function findTemporal() {
  const candidates = [
    process.env.TEMPORAL_CLI_PATH,
    onPath(),
    path.join(projectRoot, '.tools', exe),
    path.join(cacheDir(), exe),
  ];
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

export function buildTemporal() {
  const goCheck = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (goCheck.status !== 0) return null;
  const dir = cacheDir();
  const staging = path.join(dir, `.build-${process.pid}`);
  mkdirSync(staging, { recursive: true });
  process.stderr.write(`[temporal] building Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${dir} (first time only, takes minutes)\n`);
  const started = Date.now();
  execFileSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOTOOLCHAIN: 'local', GOBIN: staging, CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
  });
  // Build into a private folder then rename, so two concurrent setups never see a half-written binary.
  renameSync(path.join(staging, exe), path.join(dir, exe));
  rmSync(staging, { recursive: true, force: true });
  process.stderr.write(`[temporal] built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return path.join(dir, exe);
}

export function ensureTemporal() {
  return findTemporal() ?? buildTemporal();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const found = ensureTemporal();
  if (!found) {
    process.stderr.write('[temporal] no temporal binary and no Go toolchain: the test environment will fall back to the SDK download\n');
    process.exit(0);
  }
  process.stdout.write(found + '\n');
}
