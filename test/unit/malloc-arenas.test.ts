// The worker's memory was measured with glibc's malloc arenas held to 2 (docs/benchmarks.md, "Two
// workflow threads"): the places that start the engine's processes set the same value, and the
// benchmarks run them with it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ENGINE_MALLOC_ARENA_MAX } from '../../bench/config';

const root = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

describe('malloc arenas of the engine processes (MALLOC_ARENA_MAX)', () => {
  it('the image, npm start, npm run start:cluster and the benchmarks give the same value, one a deployment may override', () => {
    expect(read('Dockerfile')).to.match(new RegExp(`^ENV MALLOC_ARENA_MAX=${ENGINE_MALLOC_ARENA_MAX}$`, 'm'));
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    for (const name of ['start', 'start:cluster']) {
      expect(scripts[name], name).to.contain(`MALLOC_ARENA_MAX=\${MALLOC_ARENA_MAX:-${ENGINE_MALLOC_ARENA_MAX}} node dist/scripts/`);
    }
  });
});
