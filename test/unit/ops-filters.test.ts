import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { OPS_FILTERS, cliListCommand, opsFilter, uiListUrl } from '../../temporal/ops-filters';
import { ALL_SEARCH_ATTRIBUTES } from '../../temporal/search-attributes';

const NOW = new Date(Date.UTC(2026, 10, 25, 9, 0, 0));
const ctx = { now: NOW, assignee: 'tech@lastcall.example', customerName: "O'Brien Ltd" };

describe('ready-made Temporal UI filters (unit)', () => {
  it('fit the per-type limits of SQL visibility stores (3 Datetime, 10 Keyword)', () => {
    const count = (type: string) => ALL_SEARCH_ATTRIBUTES.filter((k) => k.type === type).length;
    expect(count('DATETIME')).to.be.at.most(3);
    expect(count('KEYWORD')).to.be.at.most(10);
    expect(count('BOOL')).to.be.at.most(3);
    expect(count('INT')).to.be.at.most(3);
  });

  it('have distinct ids and name only registered search attributes', () => {
    expect(new Set(OPS_FILTERS.map((f) => f.id)).size).to.equal(OPS_FILTERS.length);
    const registered = new Set(ALL_SEARCH_ATTRIBUTES.map((k) => k.name));
    for (const f of OPS_FILTERS) {
      // Identifiers are the words right before a comparison operator.
      const names = [...f.query(ctx).matchAll(/([A-Za-z]+)\s+(?:=|!=|<|>|IN|IS)\s/g)].map((m) => m[1]).filter((n) => n !== 'OR' && n !== 'AND');
      expect(names, f.id).to.not.be.empty;
      for (const n of names) expect(registered.has(n), `${f.id}: ${n} is not a registered search attribute`).to.equal(true);
    }
  });

  it('write "an hour from now" out as an absolute instant', () => {
    expect(opsFilter('advanced-critical-at-risk').query(ctx)).to.equal(
      "SlaPlan = 'advanced' AND SlaImpact = 'A' AND (ResponseDueAt < '2026-11-25T10:00:00Z' OR ResolutionDueAt < '2026-11-25T10:00:00Z') AND TicketStatus IN ('open', 'in_progress', 'waiting_on_customer')",
    );
    expect(opsFilter('sessions-starting-soon').query(ctx)).to.contain("SessionStartsAt < '2026-11-25T11:00:00Z'");
    expect(opsFilter('at-risk-next-hour').query({ now: new Date(NOW.getTime() + 30 * 60_000) })).to.contain("ResolutionDueAt < '2026-11-25T10:30:00Z')");
  });

  it('quote the names they are given, apostrophes included', () => {
    expect(opsFilter('customer-open').query(ctx)).to.match(/^CustomerName = 'O\\'Brien Ltd' AND /);
    expect(opsFilter('technician-queue').query(ctx)).to.match(/^Assignee = 'tech@lastcall\.example' AND /);
  });

  it('refuse an unknown filter by name', () => {
    expect(() => opsFilter('nope')).to.throw(/no ready-made filter "nope"/);
  });

  it('link to the UI list with the query in its filter box', () => {
    const q = opsFilter('breached-open').query(ctx);
    const url = new URL(uiListUrl('http://ops.example:8080/', 'support desk', q));
    expect(url.origin + url.pathname).to.equal('http://ops.example:8080/namespaces/support%20desk/workflows');
    expect(url.searchParams.get('query')).to.equal(q);
  });

  it('give a shell command that hands the CLI the query unchanged', () => {
    for (const f of OPS_FILTERS) {
      const q = f.query(ctx);
      const cmd = cliListCommand(q);
      expect(cmd.startsWith('temporal workflow list --query ')).to.equal(true);
      // What a POSIX shell makes of the quoted argument is exactly the query.
      const arg = cmd.slice('temporal workflow list --query '.length);
      expect(execFileSync('sh', ['-c', `printf %s ${arg}`], { encoding: 'utf8' }), f.id).to.equal(q);
    }
    expect(cliListCommand("SlaBreached = true", 'ops')).to.equal('temporal workflow list --namespace ops --query "SlaBreached = true"');
  });
});
