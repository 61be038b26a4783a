// First start on a fresh machine: scripts/ensure-temporal.mjs builds the Temporal CLI with Go and
// says what it does in a few lines, keeping Go's ~160 "go: downloading" lines in a log file that it
// points at (with its last lines) when the build fails. Run for real against a fake `go` on PATH.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';

const root = path.resolve(__dirname, '..', '..');
const script = path.join(root, 'scripts', 'ensure-temporal.mjs');

// Prints what Go prints on a fresh machine, then writes a binary, or fails as a compile error does.
const FAKE_GO = `#!/bin/sh
case "$1" in
  version) echo "go version go1.99 fake/amd64"; exit 0 ;;
  install)
    i=0
    while [ $i -lt 160 ]; do echo "go: downloading example.com/module$i v1.0.$i" >&2; i=$((i+1)); done
    if [ "$FAKE_GO_FAIL" = 1 ]; then echo "cmd/temporal/main.go:12: undefined: somethingBroke" >&2; exit 2; fi
    printf '#!/bin/sh\\necho fake temporal\\n' > "$GOBIN/temporal"
    chmod +x "$GOBIN/temporal"
    exit 0 ;;
esac
exit 1
`;

describe('first start: building the Temporal CLI (scripts/ensure-temporal.mjs, fake go)', function () {
  this.timeout(30_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let cache: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'last-call-ensure-temporal-'));
    mkdirSync(path.join(dir, 'bin'));
    writeFileSync(path.join(dir, 'bin', 'go'), FAKE_GO);
    chmodSync(path.join(dir, 'bin', 'go'), 0o755);
    // Nothing found anywhere: no TEMPORAL_CLI_PATH, no temporal on PATH, an empty cache.
    env = { PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin`, HOME: dir, XDG_CACHE_HOME: path.join(dir, 'cache') };
    cache = path.join(dir, 'cache', 'last-call-sla', 'temporal-cli-v1.5.1');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (extra: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [script], { env: { ...env, ...extra }, encoding: 'utf8' });

  it('says what it builds and how long it takes, keeps Go\'s output in a log file, and reuses the binary', () => {
    const r = run();
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal(path.join(cache, 'temporal'));
    const lines = r.stderr.trim().split('\n');
    expect(lines.length, r.stderr).to.be.at.most(4);
    expect(r.stderr).to.not.contain('go: downloading');
    expect(lines[0]).to.match(/building v1\.5\.1 with Go, once per machine \(about 3 minutes on 2 cores/);
    expect(r.stderr).to.contain(`Go's output goes to ${path.join(cache, 'build.log')}`);
    expect(lines.at(-1)).to.match(/built in \d+\.\d s: /);
    expect(readFileSync(path.join(cache, 'build.log'), 'utf8').match(/^go: downloading /gm)).to.have.length(160);
    expect(readdirSync(cache).filter((f) => f.startsWith('.build-')), 'no staging folder left').to.deep.equal([]);

    const again = run();
    expect([again.status, again.stdout.trim(), again.stderr]).to.deep.equal([0, path.join(cache, 'temporal'), '']);
  });

  it('on failure: a short message with the end of Go\'s output and where the rest is, a non-zero exit, no binary', () => {
    const r = run({ FAKE_GO_FAIL: '1' });
    expect(r.status).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.match(/the build failed \(go exited with 2\) after \d+\.\d s; the last lines of .*build\.log:/);
    expect(r.stderr).to.contain('undefined: somethingBroke');
    expect(r.stderr).to.contain('TEMPORAL_CLI_PATH');
    expect(r.stderr.trim().split('\n').length, r.stderr).to.be.at.most(22);
    expect(existsSync(path.join(cache, 'temporal'))).to.equal(false);
    expect(readdirSync(cache).filter((f) => f.startsWith('.build-')), 'no staging folder left').to.deep.equal([]);
  });

  it('builds the same way when called from the code (runtime/temporal-binary.ts), and throws naming the log on failure', () => {
    const call = (extra: NodeJS.ProcessEnv = {}) =>
      spawnSync(process.execPath, ['-e', `try { console.log('path=' + require(${JSON.stringify(script)}).ensureTemporal()) } catch (e) { console.log('error=' + e.message); process.exit(3) }`], { env: { ...env, ...extra }, encoding: 'utf8' });
    const failed = call({ FAKE_GO_FAIL: '1' });
    expect(failed.status).to.equal(3);
    expect(failed.stdout).to.contain(`error=building the Temporal CLI failed; see ${path.join(cache, 'build.log')}`);
    const built = call();
    expect(built.status, built.stderr).to.equal(0);
    expect(built.stdout.trim()).to.equal(`path=${path.join(cache, 'temporal')}`);
    expect(built.stderr).to.not.contain('go: downloading');
  });
});
