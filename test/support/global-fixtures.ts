// Mocha global fixtures: one real Temporal dev server, one embedded Postgres and one workflow
// bundle for the whole run, shared with the parallel test workers through environment variables.
// Each test file then gets its own database, task queue, SMTP inbox and API (see harness.ts).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { installTemporalRuntime } from '../../runtime/temporal-runtime';
import { freePort, startEmbeddedPostgres, type EmbeddedDb } from '../../runtime/embedded-postgres';
import { ensureTemporalBinary } from '../../runtime/temporal-binary';
import { devServerDynamicConfigArgs } from '../../runtime/temporal-dev-server';
import { ALL_SEARCH_ATTRIBUTES } from '../../temporal/search-attributes';
import { bundleWorkflows } from '../../worker/workflow-bundle';

let env: TestWorkflowEnvironment | undefined;
let pg: EmbeddedDb | undefined;
let workDir: string | undefined;

export async function mochaGlobalSetup() {
  workDir = mkdtempSync(path.join(tmpdir(), 'last-call-test-'));
  // Postgres runs as its own user when the suite runs as root: it must be able to enter the folder.
  chmodSync(workDir, 0o755);
  const binary = ensureTemporalBinary();
  // Quiet SDK logs in this process; test files that share it (non-parallel runs) inherit this,
  // and the worker metrics on a free port (the metrics test reads them through /metrics).
  installTemporalRuntime(pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), { metricsAddress: `127.0.0.1:${await freePort()}` });
  const [testEnv, db, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        // Elsewhere (no Go, no binary) the SDK downloads its own dev server.
        ...(binary ? { executable: { type: 'existing-path' as const, path: binary } } : {}),
        ip: '127.0.0.1',
        searchAttributes: ALL_SEARCH_ATTRIBUTES,
        extraArgs: ['--log-level', 'error', ...devServerDynamicConfigArgs()],
      },
    }),
    process.env.DATABASE_URL ? Promise.resolve(undefined) : startEmbeddedPostgres({ dir: path.join(workDir, 'pg'), fast: true }),
    bundleWorkflows(),
  ]);
  env = testEnv;
  pg = db;
  const bundlePath = path.join(workDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.env.TEST_TEMPORAL_ADDRESS = env.address;
  process.env.TEST_PG_SERVER_URL = pg ? pg.serverUrl : process.env.DATABASE_URL!;
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
}

export async function mochaGlobalTeardown() {
  await env?.teardown();
  await pg?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}
