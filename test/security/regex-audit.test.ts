// Every regular expression in the code that runs the service (literals, and RegExp built with new
// RegExp(...) or RegExp(...)) is checked with recheck, a ReDoS checker (automata theory, and fuzzing
// where that does not decide), and none may be vulnerable: super-linear backtracking is how 80 kB of
// e-mail held the event loop for 14 s. A RegExp built from something other than a literal cannot be
// checked and is refused too. The allowlist below is for expressions that provably never see text
// from outside (configuration, our own output), each with the reason; it stays short.
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { check } from 'recheck';

const ROOT = path.join(__dirname, '..', '..');
const SOURCE_DIRS = ['api', 'web', 'services', 'mail', 'domain', 'config', 'runtime', 'activities', 'workflows', 'observability', 'temporal'];

/** "file:/source/flags" → why no outside text ever reaches it. */
const ALLOWLIST: Record<string, string> = {
  'config/index.ts:/\\/+$/': 'PUBLIC_URL, from the operator\'s environment, read once at start',
  'temporal/ops-filters.ts:/\\/+$/': 'the Temporal UI URL, from the operator\'s environment',
  'observability/exposition.ts:/\\n*$/': 'our own metrics text (prom-client\'s and our Temporal worker\'s exposition)',
};

interface Found {
  file: string;
  line: number;
  source: string | null;
  flags: string;
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const p = path.join(dir, entry);
    if (statSync(p).isDirectory()) yield* sourceFiles(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) yield p;
  }
}

/** Regex literals, and RegExp constructions (a non-literal pattern is reported with source null). */
function regexesIn(file: string): Found[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const rel = path.relative(ROOT, file);
  const found: Found[] = [];
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
  const literal = (n: ts.Node | undefined) => (n && (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) ? n.text : null);
  const visit = (n: ts.Node) => {
    if (n.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const text = n.getText();
      const end = text.lastIndexOf('/');
      found.push({ file: rel, line: lineOf(n), source: text.slice(1, end), flags: text.slice(end + 1) });
    } else if ((ts.isNewExpression(n) || ts.isCallExpression(n)) && ts.isIdentifier(n.expression) && n.expression.text === 'RegExp') {
      const [pattern, flags] = n.arguments ?? [];
      found.push({ file: rel, line: lineOf(n), source: literal(pattern), flags: literal(flags) ?? '' });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

describe('regular expressions (security)', function () {
  this.timeout(180_000);

  const all = SOURCE_DIRS.flatMap((d) => [...sourceFiles(path.join(ROOT, d))]).flatMap(regexesIn);

  it('finds the expressions it is meant to check', () => {
    // The scanner itself: it sees literals in every folder, and the mail code has none left to see.
    expect(all.length).to.be.greaterThan(30);
    expect(all.some((r) => r.file.startsWith('api/'))).to.equal(true);
    expect(all.filter((r) => r.file.startsWith('mail/') || r.file === 'services/inbound-mail.ts' || r.file === 'domain/inbound-text.ts').map((r) => r.source)).to.deep.equal(['^\\p{L}$']);
  });

  it('has no expression vulnerable to ReDoS outside the short allowlist', async () => {
    const problems: string[] = [];
    for (const r of all) {
      const where = `${r.file}:${r.line}`;
      if (r.source === null) {
        problems.push(`${where}: a RegExp built from a non-literal pattern cannot be checked`);
        continue;
      }
      const key = `${r.file}:/${r.source}/${r.flags}`;
      const d = await check(r.source, r.flags, { timeout: 10_000 });
      if (d.status === 'safe') continue;
      if (ALLOWLIST[key]) continue;
      // The attack string is not printed: it can be megabytes.
      problems.push(`${where} /${r.source}/${r.flags}: ${d.status}${d.status === 'vulnerable' ? ` (${d.complexity.summary})` : ''}`);
    }
    expect(problems, 'vulnerable or uncheckable regular expressions').to.deep.equal([]);
  });

  it('keeps the allowlist to expressions that are still there', () => {
    const present = new Set(all.map((r) => `${r.file}:/${r.source}/${r.flags}`));
    expect(Object.keys(ALLOWLIST).filter((k) => !present.has(k))).to.deep.equal([]);
  });
});
