// The workflow bundle built ahead of time (scripts/build-workflow-bundle.ts, what the Docker image
// runs at build time for WORKFLOW_BUNDLE_PATH): the script says one line, not webpack's report, and
// what it writes runs the recorded ticket histories as the worker's own bundle does.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pino from 'pino';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { Logger, LogLevel } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { loadConfig } from '../../config';
import { installTemporalRuntime } from '../../runtime/temporal-runtime';
import { freePort } from '../../runtime/free-port';
import { bundlerLog } from '../../worker/workflow-bundle';

const root = path.resolve(__dirname, '..', '..');
const HISTORIES = path.join(root, 'test', 'histories');

describe('workflow bundle built ahead of time', function () {
  this.timeout(240_000);
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'last-call-bundle-'));
    installTemporalRuntime(pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), { metricsAddress: `127.0.0.1:${await freePort()}` });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is written by scripts/build-workflow-bundle.ts in one line of output, and replays every recorded history', async () => {
    const out = path.join(dir, 'nested', 'workflow-bundle.js');
    const env = { ...process.env, LOG_LEVEL: 'info', TS_NODE_TRANSPILE_ONLY: 'true' };
    const r = spawnSync(process.execPath, ['-r', 'ts-node/register', 'scripts/build-workflow-bundle.ts', out], { cwd: root, env, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const lines = (r.stdout + r.stderr).trim().split('\n');
    expect(lines, 'no webpack report at the default level').to.have.length(1);
    expect(lines[0]).to.match(new RegExp(`^workflow bundle: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+\\.\\d MB, \\d+\\.\\d s\\)$`));
    expect(existsSync(out)).to.equal(true);

    const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
    expect(files.length).to.be.at.least(2);
    const histories = files.map((f) => ({ workflowId: f, history: historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES, f), 'utf8'))) }));
    const results = [];
    for await (const x of Worker.runReplayHistories({ workflowBundle: { codePath: out } }, histories)) results.push(x);
    expect(results).to.have.length(files.length);
    for (const x of results) expect(x.error, `${x.workflowId}: ${x.error?.message}`).to.equal(undefined);

    // The variable that hands it to a worker names the file, or refuses to start without it.
    expect(loadConfig({ WORKFLOW_BUNDLE_PATH: out }).workflowBundlePath).to.equal(out);
    expect(() => loadConfig({ WORKFLOW_BUNDLE_PATH: path.join(dir, 'missing.js') })).to.throw(/WORKFLOW_BUNDLE_PATH: no workflow bundle at .*missing\.js/);
  });

  it('keeps webpack\'s report at debug (LOG_LEVEL=debug), warnings and errors as they are', () => {
    const seen: Array<[string, string]> = [];
    const record = (level: LogLevel) => (message: string) => void seen.push([level, message]);
    const sdk: Logger = { log: (level, message) => void seen.push([level, message]), trace: record('TRACE'), debug: record('DEBUG'), info: record('INFO'), warn: record('WARN'), error: record('ERROR') };
    const log = bundlerLog(sdk);
    log.info('asset workflow-bundle.js 1.2 MiB [emitted]');
    log.log('INFO', 'Workflow bundle created');
    log.warn('a warning');
    log.error('an error');
    log.debug('detail');
    expect(seen).to.deep.equal([
      ['DEBUG', 'asset workflow-bundle.js 1.2 MiB [emitted]'],
      ['DEBUG', 'Workflow bundle created'],
      ['WARN', 'a warning'],
      ['ERROR', 'an error'],
      ['DEBUG', 'detail'],
    ]);
  });
});
