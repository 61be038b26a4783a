// Finds (or builds, first time only) the Temporal CLI through scripts/ensure-temporal.mjs, the one
// place that knows where the binary lives. Works from the TypeScript sources and from dist/.
import { existsSync } from 'node:fs';
import path from 'node:path';

export function projectRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json')) || existsSync(path.join(dir, 'tsconfig.json')) === false) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`project root not found above ${from}`);
    dir = up;
  }
  return dir;
}

export function ensureTemporalBinary(): string | null {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path.join(projectRoot(), 'scripts', 'ensure-temporal.mjs')) as { ensureTemporal: () => string | null };
  return mod.ensureTemporal();
}
