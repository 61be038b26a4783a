// One `go install` as the setup scripts run it (scripts/ensure-temporal.mjs for the CLI,
// scripts/ensure-temporal-cluster.mjs for the server, its SQL tool and the UI): Go's ~160
// "go: downloading" lines go to a log file, a line every 30 s says how far it got, and a failed
// build shows the log's last lines and where the rest is.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const PROGRESS_EVERY_MS = 30_000;

export const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Go as the setup builds with it: the machine's toolchain (no download), static binaries unless CGO_ENABLED says otherwise. */
export const goEnv = () => ({ ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: process.env.CGO_ENABLED ?? '0' });

/**
 * Runs `go install <packages>` (goEnv, GOBIN = `gobin`); resolves, with the time it took, once
 * every binary named is there.
 * Rejects with `failure` as the error's message (and `hint` said to the person) otherwise.
 * `say` writes one progress line to the person, with the caller's prefix.
 */
export async function goInstall({ packages, gobin, binaries, logFile, say, hint, failure }) {
  const log = createWriteStream(logFile);
  const started = Date.now();
  let downloads = 0;
  const go = spawn('go', ['install', ...packages], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...goEnv(), GOBIN: gobin } });
  for (const stream of [go.stdout, go.stderr]) {
    stream.on('data', (chunk) => {
      log.write(chunk);
      downloads += (String(chunk).match(/^go: downloading /gm) ?? []).length;
    });
  }
  const progress = setInterval(() => say(`still building (${seconds(Date.now() - started)}; ${downloads} modules downloaded so far)`), PROGRESS_EVERY_MS);
  const code = await new Promise((resolve) => {
    go.on('error', () => resolve(-1));
    go.on('close', (c) => resolve(c ?? -1));
  });
  clearInterval(progress);
  await new Promise((resolve) => log.end(resolve));
  if (code !== 0 || binaries.some((b) => !existsSync(path.join(gobin, b)))) {
    const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-15);
    say(`the build failed (go exited with ${code}) after ${seconds(Date.now() - started)}; the last lines of ${logFile}:`);
    process.stderr.write(tail.map((l) => `    ${l}\n`).join(''));
    say(hint);
    throw new Error(`${failure} (go exited with ${code}); see ${logFile}`);
  }
  return Date.now() - started;
}
