// The engine processes run compiled JavaScript, as in production (the Dockerfile runs dist/), not
// through ts-node: ts-node keeps the TypeScript compiler in memory (~150 MiB) and would count in
// the worker's resident memory. The sources are transpiled (no type check) into a temp folder once
// per run (the folders tsconfig.json includes, other files copied as they are); its node_modules is
// a link to the project's.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { projectRoot } from '../runtime/temporal-binary';

/** The folders tsconfig.json includes (the engine's sources, whatever they are today) and bench/; not the tests. */
function sourceDirs(root: string): string[] {
  const { config } = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
  const include: string[] = config?.include ?? [];
  const dirs = include.filter((d) => !/[*?]/.test(d) && d !== 'test' && statSync(path.join(root, d), { throwIfNoEntry: false })?.isDirectory());
  return [...new Set([...dirs, 'bench'])];
}

let built: { dir: string; engine: string } | undefined;

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(p).isDirectory()) walk(p, out);
    else if (!name.endsWith('.d.ts')) out.push(p);
  }
}

/** Transpiles the engine's sources; returns the compiled bench/engine-process.js. */
export function buildEngine(): { dir: string; engine: string } {
  if (built) return built;
  const root = projectRoot();
  const dir = mkdtempSync(path.join(tmpdir(), 'last-call-bench-build-'));
  const files: string[] = [];
  for (const d of sourceDirs(root)) walk(path.join(root, d), files);
  for (const f of files) {
    const rel = path.relative(root, f);
    mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
    // Everything that is not TypeScript (JSON, views, static files) is copied as it is.
    if (!f.endsWith('.ts')) {
      writeFileSync(path.join(dir, rel), readFileSync(f));
      continue;
    }
    const out = ts.transpileModule(readFileSync(f, 'utf8'), {
      fileName: f,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        resolveJsonModule: true,
        sourceMap: false,
      },
    });
    writeFileSync(path.join(dir, rel.replace(/\.ts$/, '.js')), out.outputText);
  }
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  built = { dir, engine: path.join(dir, 'bench', 'engine-process.js') };
  return built;
}

export function removeBuild(): void {
  if (built) rmSync(built.dir, { recursive: true, force: true });
  built = undefined;
}
