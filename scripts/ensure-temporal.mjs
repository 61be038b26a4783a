#!/usr/bin/env node
// Finds a Temporal CLI binary, building the pinned release with Go when none exists.
// Order: $TEMPORAL_CLI_PATH, `temporal` on PATH, the project's .tools/ folder,
// then a per-user cache keyed by version (outside the clone, so fresh clones reuse it).
// Prints the resolved path on stdout; progress goes to stderr, a few lines: Go's own output (some
// 160 "go: downloading" lines on a fresh machine) goes to a log file, shown only when the build fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { goInstall, seconds } from './go-install.mjs';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const thisScript = fileURLToPath(import.meta.url);
const exe = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'last-call-sla', `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

/** Where Go's output of the last build is kept. */
export function buildLogPath() {
  return path.join(cacheDir(), 'build.log');
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

const say = (line) => process.stderr.write(`[temporal] ${line}\n`);

/**
 * Builds the pinned CLI into the cache with Go; resolves to its path, or null without Go. Rejects
 * when the build fails, after showing the end of Go's output and where the rest is.
 */
export async function buildTemporal() {
  if (spawnSync('go', ['version'], { encoding: 'utf8' }).status !== 0) return null;
  const dir = cacheDir();
  const staging = path.join(dir, `.build-${process.pid}`);
  mkdirSync(staging, { recursive: true });
  const logFile = buildLogPath();
  say(`no Temporal CLI here: building ${TEMPORAL_CLI_VERSION} with Go, once per machine (about 3 minutes on 2 cores, mostly downloading its modules; later clones reuse it from ${dir})`);
  say(`Go's output goes to ${logFile}`);
  const tookMs = await goInstall({
    packages: [`github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`],
    gobin: staging,
    binaries: [exe],
    logFile,
    say,
    hint: 'fix the cause and run it again (npm run setup:temporal), or install the Temporal CLI and set TEMPORAL_CLI_PATH',
    failure: 'building the Temporal CLI failed',
  }).catch((err) => {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  });
  // Built into a private folder then renamed, so two concurrent setups never see a half-written binary.
  renameSync(path.join(staging, exe), path.join(dir, exe));
  rmSync(staging, { recursive: true, force: true });
  say(`built in ${seconds(tookMs)}: ${path.join(dir, exe)}`);
  return path.join(dir, exe);
}

/**
 * The binary's path, building it first when there is none (null: no binary and no Go). Synchronous
 * for its callers (runtime/temporal-binary.ts): a build runs this script as a child, whose progress
 * lines pass through on stderr.
 */
export function ensureTemporal() {
  const found = findTemporal();
  if (found) return found;
  const r = spawnSync(process.execPath, [thisScript], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the Temporal CLI failed; see ${buildLogPath()}`);
  return r.stdout.trim() || null;
}

// No top-level await: runtime/temporal-binary.ts require()s this module, which Node refuses for one that has it.
if (process.argv[1] && path.resolve(process.argv[1]) === thisScript) {
  const found = findTemporal();
  (found ? Promise.resolve(found) : buildTemporal()).then(
    (binary) => {
      if (binary) process.stdout.write(binary + '\n');
      else say('no temporal binary and no Go toolchain: the test environment will fall back to the SDK download');
    },
    () => process.exit(1),
  );
}
