// Bundles the workflow code once, as the worker would at every start, into a file for
// WORKFLOW_BUNDLE_PATH: the Docker image runs it at build time, so a container's worker starts
// without webpack. `node dist/scripts/build-workflow-bundle.js <file>` (default dist/workflow-bundle.js);
// webpack's report only with LOG_LEVEL=debug.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger } from '@temporalio/worker';
import { loadConfig } from '../config';
import { bundleWorkflows, bundlerLog } from '../worker/workflow-bundle';

async function main() {
  const out = path.resolve(process.argv[2] ?? path.join('dist', 'workflow-bundle.js'));
  // Only LOG_LEVEL matters here: the rest of the environment (WORKFLOW_BUNDLE_PATH naming the file
  // about to be written, a server's secrets) is not this script's to check.
  const verbose = ['debug', 'trace'].includes(loadConfig({ LOG_LEVEL: process.env.LOG_LEVEL }).logLevel);
  const started = Date.now();
  const bundle = await bundleWorkflows(undefined, undefined, bundlerLog(new DefaultLogger(verbose ? 'DEBUG' : 'WARN', (e) => process.stderr.write(`${e.message}\n`))));
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, bundle.code);
  process.stdout.write(`workflow bundle: ${out} (${(bundle.code.length / 1024 / 1024).toFixed(1)} MB, ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

main().catch((err) => {
  process.stderr.write(`workflow bundle failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
