// The benchmark tables are rendered from the result files (bench/results-table.ts): the newest run
// of each benchmark per Temporal shape, side by side, with the run each column comes from.
import { expect } from 'chai';
import path from 'node:path';
import { between, MARKERS, newest, renderFull, renderHeadline } from '../../bench/results-table';
import { readResultFiles } from '../../bench/results-file';
import { gitState } from '../../bench/stats';

const files = readResultFiles(path.join(__dirname, '..', 'fixtures', 'bench-results'));

describe('benchmark results table (bench/results-table.ts)', () => {
  it('keeps the newest run of each benchmark on each shape', () => {
    const by = newest(files);
    const small = by.get('on-time, tickets 2000, onTimeWindowS 60')!;
    expect([...small.keys()].sort()).to.deep.equal(['cluster/postgres', 'dev/sqlite-file', 'dev/sqlite-file-defaults', 'dev/sqlite-memory']);
    expect(small.get('dev/sqlite-memory')!.commit).to.equal('aaaaaaa');
  });

  it('gives a benchmark run at another size a section of its own, after the one run on more shapes', () => {
    const by = newest(files);
    expect([...by.keys()]).to.deep.equal(['on-time, tickets 2000, onTimeWindowS 60', 'on-time, tickets 10000, onTimeWindowS 300', 'same-instant']);
    expect([...by.get('on-time, tickets 10000, onTimeWindowS 300')!.keys()]).to.deep.equal(['dev/sqlite-file']);
    const full = renderFull(files);
    expect(full.indexOf('### on-time, tickets 2000, onTimeWindowS 60')).to.be.below(full.indexOf('### on-time, tickets 10000, onTimeWindowS 300'));
    const big = full.slice(full.indexOf('### on-time, tickets 10000'), full.indexOf('### same-instant'));
    expect(big).to.contain('3496 ms ✗');
    expect(big).not.to.contain('in-memory');
    // The headline shows the size run on every shape, not the larger run of one.
    const head = renderHeadline(files);
    expect(head).to.contain('on-time, tickets 2000, onTimeWindowS 60: response breach lateness p99');
    expect(head).not.to.contain('3496');
    expect(head).not.to.contain('ddddddd');
    // Run at both sizes on both shapes, the size of the newest sweep.
    const big10k = files.find((f) => f.commit === 'ddddddd')!;
    const swept = [...files, { ...big10k, topology: 'cluster' as const, store: 'postgres', startedAt: '2026-12-02T11:30:00.000Z' }];
    expect(renderHeadline(swept)).to.contain('on-time, tickets 10000, onTimeWindowS 300: response breach lateness p99 (lateByMs) | < 1000 ms | 3496 ms ✗ | 3496 ms ✗ |');
  });

  it('puts the shapes side by side, the dev server first, with each figure against its goal', () => {
    const full = renderFull(files);
    const header = full.split('\n').find((l) => l.startsWith('| figure |'))!;
    expect(header.indexOf('in-memory')).to.be.below(header.indexOf("SQLite's defaults"));
    expect(header.indexOf("SQLite's defaults")).to.be.below(header.indexOf('cluster on Postgres'));
    const p99 = full.split('\n').find((l) => l.includes('lateness p99'))!;
    expect(p99).to.contain('< 1000 ms');
    expect(p99).to.contain('300 ms ✓');
    expect(p99).to.contain('76.9 s ✗');
    expect(p99).to.contain('450 ms ✓');
    // The older run on the same shape is not shown.
    expect(full).not.to.contain('9999');
    expect(full).not.to.contain('0000000');
  });

  it('says which run each column is, its load, and whether the tree had changes or the run failed', () => {
    const full = renderFull(files);
    expect(full).to.match(/in-memory SQLite \(the tests\): 2026-12-02 10:00 UTC, `aaaaaaa`, tickets 2000, onTimeWindowS 60, load 0.5 → 1.8, 2 × AMD EPYC/);
    expect(full).to.contain('`bbbbbbb` + uncommitted changes');
    expect(full).to.contain('`ccccccc`, tickets 2000, onTimeWindowS 60, load 0.5 → 1.8 (during: mean 2.1, max 3.2)');
    expect(full).to.contain('**failed**: Error: only 12 of 2000 tickets were recorded');
    expect(full.indexOf('### on-time')).to.be.below(full.indexOf('### same-instant'));
    expect(full).to.contain('`ddddddd`, tickets 10000, onTimeWindowS 300');
  });

  it('the headline table has the goal figures of each benchmark, on the two shapes of issue 23', () => {
    const head = renderHeadline(files);
    const header = head.split('\n')[0];
    expect(header).to.contain('as `npm start` runs it');
    expect(header).to.contain('cluster on Postgres');
    expect(header).not.to.contain('in-memory');
    expect(header).not.to.contain("SQLite's defaults");
    expect(head).to.contain('on-time, tickets 2000, onTimeWindowS 60: response breach lateness p99 (lateByMs) | < 1000 ms | 610 ms ✓ | 450 ms ✓ |');
    expect(head).to.contain('same-instant: all 2000 breaches recorded, after the instant');
    expect(head).to.contain('12.3 s ✓');
    expect(head).not.to.contain('lateness p50');
  });

  it('says once a column when every run of the headline is of one commit, and names each run when not', () => {
    const one = renderHeadline(files).split('\n').at(-1)!;
    expect(one).to.contain('every run of the table at `ccccccc`, 2026-12-02 10:25 – 10:40 UTC (runs started), load max 3.2');
    const mixed = files.map((f) => (f.benchmark === 'same-instant' && f.topology === 'cluster' ? { ...f, commit: 'eeeeeee' } : f));
    const line = renderHeadline(mixed).split('\n').at(-1)!;
    expect(line).not.to.contain('every run');
    expect(line).to.contain('on-time `ccccccc` 2026-12-02, load 0.5 → 1.8 (max 3.2); same-instant `ccccccc`');
    expect(line).to.contain('same-instant `eeeeeee` 2026-12-02');
  });

  it('replaces only the text between its markers, and refuses a document without them', () => {
    const doc = `before\n${MARKERS.full[0]}\nold\n${MARKERS.full[1]}\nafter\n`;
    expect(between(doc, MARKERS.full, 'new')).to.equal(`before\n${MARKERS.full[0]}\nnew\n${MARKERS.full[1]}\nafter\n`);
    expect(() => between('no markers', MARKERS.full, 'x')).to.throw(/markers not found/);
  });

  it('renders nothing from no files', () => {
    expect(renderFull([])).to.contain('No results yet');
  });

  it('a tree is dirty for any change but the results files', () => {
    expect(gitState('abc', '?? bench/results/x.json\nM  bench/results/y.json').dirty).to.equal(false);
    expect(gitState('abc', 'M bench/stack.ts\n?? bench/results/x.json').dirty).to.equal(true);
    expect(gitState('abc', '').dirty).to.equal(false);
  });
});
