// What a deployment does once, done by several replicas at the same moment, as they start together
// on a fresh cluster or after an upgrade: the migrations, the Temporal namespace and its search
// attributes, the Schedules, and the intake outbox's sweep. Each is run from several clients at
// once against the real Postgres and Temporal server; each must happen once, and nobody fail.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Client as PgClient } from 'pg';
import { QueryTypes, Sequelize } from 'sequelize';
import { Connection } from '@temporalio/client';
import { migrate } from '../../db';
import { migrator } from '../../db/migrate';
import type { Duration } from '@temporalio/common';
import type { System } from '../../runtime/system';
import { prepareNamespace } from '../../temporal/prepare-namespace';
import { ALL_SEARCH_ATTRIBUTES } from '../../temporal/search-attributes';
import { ensureSchedulesInTurn, scheduleDefinitions } from '../../temporal/schedules';
import { eventually, sleep, startApiReplica, startTestSystem, type TestSystem } from '../support/harness';

describe('replicas: what a deployment does once, done by several processes at once', function () {
  this.timeout(120_000);
  let t: TestSystem;
  const suffix = randomBytes(3).toString('hex');

  before(async () => {
    // Its own sweeps are off: the replicas' sweeps are what is measured here.
    t = await startTestSystem({ label: 'replicas', sweepIntervalMs: 3_600_000 });
  });
  after(async () => t?.stop());

  it('migrations: three processes migrating one new database together apply each migration once', async () => {
    const name = `t_replicas_migrate_${suffix}`;
    const admin = new PgClient({ connectionString: process.env.TEST_PG_SERVER_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(process.env.TEST_PG_SERVER_URL!);
    url.pathname = `/${name}`;
    // Sequelize instances of their own (no models bound to them): three processes' connections.
    const processes = [1, 2, 3].map(() => new Sequelize(url.toString(), { dialect: 'postgres', logging: false }));
    try {
      const applied = await Promise.all(processes.map((s) => migrate(s)));
      // Every migration there is, as the test system's database (migrated at its start) lists them.
      const all = (await migrator(t.sys.sequelize).executed()).map((m) => m.name);
      // One of them applied everything; the others found nothing left to do.
      expect(applied.filter((names) => names.length > 0)).to.deep.equal([all]);
      const rows = await processes[0].query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name', { type: QueryTypes.SELECT });
      expect(rows.map((r) => r.name)).to.deep.equal([...all].sort());
    } finally {
      await Promise.all(processes.map((s) => s.close()));
      await admin.query(`DROP DATABASE ${name}`);
      await admin.end();
    }
  });

  it('a new namespace and its search attributes: created once by whichever replica comes first, each attribute mapped once', async () => {
    const namespace = `replicas-${suffix}`;
    const address = process.env.TEST_TEMPORAL_ADDRESS!;
    const results = await Promise.all([1, 2, 3].map(() => prepareNamespace({ address, namespace, retentionDays: 1, databaseUrl: t.databaseUrl })));
    expect(results.filter((r) => r.createdNamespace)).to.have.length(1);
    // In turn: the first adds them all, the others find them there.
    const adders = results.filter((r) => r.addedSearchAttributes.length > 0);
    expect(adders).to.have.length(1);
    expect([...adders[0].addedSearchAttributes].sort()).to.deep.equal(ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
    // The server's own record: every attribute on exactly one column.
    const connection = await Connection.connect({ address });
    try {
      const ns = await connection.workflowService.describeNamespace({ namespace });
      const aliases = Object.values(ns.config?.customSearchAttributeAliases ?? {});
      expect([...aliases].sort()).to.deep.equal(ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
      // And once more later (a replica restarted): nothing to do.
      expect(await prepareNamespace({ address, namespace, retentionDays: 1, databaseUrl: t.databaseUrl })).to.deep.equal({ createdNamespace: false, addedSearchAttributes: [] });
    } finally {
      await connection.close();
    }
  });

  it('Schedules: three workers starting together leave one of each', async () => {
    const idPrefix = `replicas-${suffix}-`;
    const config = { taskQueue: t.taskQueue, idPrefix, termCheckEvery: '1 hour' as Duration };
    const ids = await Promise.all([1, 2, 3].map(() => ensureSchedulesInTurn(t.databaseUrl, t.sys.temporal, config)));
    const expected = scheduleDefinitions(config).map((d) => d.scheduleId);
    for (const got of ids) expect(got).to.deep.equal(expected);
    try {
      const listed: string[] = [];
      await eventually(async () => {
        listed.length = 0;
        for await (const s of t.sys.temporal.schedule.list()) if (s.scheduleId.startsWith(idPrefix)) listed.push(s.scheduleId);
        return listed.length >= expected.length;
      }, 20_000, 'the schedules to be listed');
      expect(listed.sort()).to.deep.equal([...expected].sort());
    } finally {
      for (const id of expected) await t.sys.temporal.schedule.getHandle(id).delete().catch(() => {});
    }
  });

  describe('the intake outbox swept by two API replicas at once', () => {
    let a: System;
    let b: System;
    let customerId: string;
    let template: { id: string };

    before(async () => {
      a = await startApiReplica(t, { sweepIntervalMs: 3_600_000 });
      b = await startApiReplica(t, { sweepIntervalMs: 3_600_000 });
      customerId = await t.createCustomer('standard');
      // Impact C: deadlines hours away, so the swept workflows stay quiet.
      template = await t.createTicket(customerId, { impact: 'C' });
    });
    after(async () => {
      await b?.stop(0);
      await a?.stop(0);
    });

    /** Rows accepted `ageMs` ago whose workflows never started (as if their API died right after intake). */
    async function unstarted(count: number, ageMs = 10_000, claimedForMs?: number): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const [row] = await t.sys.sequelize.query<{ id: string }>(
          `WITH n AS (SELECT nextval('ticket_number_seq') AS number)
           INSERT INTO tickets (id, number, customer_id, requester_id, requester_email, requester_name, plan, impact, type, channel,
                                subject, description, status, received_at, targets, workflow_id, workflow_started_at, start_claimed_until,
                                created_at, updated_at)
           SELECT gen_random_uuid(), n.number, customer_id, requester_id, requester_email, requester_name, plan, impact, type, channel,
                  'swept ' || n.number, description, status, now() - make_interval(secs => :age), targets, 'ticket-' || n.number, NULL,
                  CASE WHEN :claimed::int IS NULL THEN NULL ELSE now() + make_interval(secs => :claimed::int / 1000.0) END,
                  now(), now()
             FROM tickets, n WHERE id = :template
           RETURNING id`,
          { type: QueryTypes.SELECT, replacements: { age: ageMs / 1000, template: template.id, claimed: claimedForMs ?? null } },
        );
        ids.push(row.id);
      }
      return ids;
    }

    it('each ticket is started by exactly one of them, and every one is started', async () => {
      // More than one sweep's batch (100), so both replicas take part.
      const backlog = await unstarted(150);
      const byA: string[] = [];
      const byB: string[] = [];
      // Sweep after sweep, both at once, as their timers would: a sweep that runs long (a busy
      // machine) gives back what it did not reach, for a later one.
      await eventually(async () => {
        const [x, y] = await Promise.all([a.tickets.starter.sweep(), b.tickets.starter.sweep()]);
        byA.push(...x);
        byB.push(...y);
        return byA.length + byB.length >= backlog.length;
      }, 90_000, 'the sweeps to start the backlog');
      expect(byA.filter((id) => byB.includes(id)), 'tickets both replicas started').to.deep.equal([]);
      expect(new Set(byA).size + new Set(byB).size, 'tickets a replica started twice').to.equal(byA.length + byB.length);
      expect(byA.length, 'started by replica A').to.be.greaterThan(0);
      expect(byB.length, 'started by replica B').to.be.greaterThan(0);
      expect([...byA, ...byB].sort()).to.deep.equal([...backlog].sort());
      await eventually(async () => {
        const marked = await t.sys.sequelize.query<{ n: string }>('SELECT count(*) AS n FROM tickets WHERE id IN (:ids) AND workflow_started_at IS NOT NULL', { type: QueryTypes.SELECT, replacements: { ids: backlog } });
        return Number(marked[0].n) === backlog.length;
      }, 20_000, 'every swept row marked started');
      const rows = await t.sys.sequelize.query<{ workflow_id: string }>('SELECT workflow_id FROM tickets WHERE id IN (:ids)', { type: QueryTypes.SELECT, replacements: { ids: backlog } });
      for (const r of rows) await t.sys.temporal.workflow.getHandle(r.workflow_id).describe();
    });

    it('a claim of a replica that died keeps the others off the row until it lapses, then one of them starts it', async () => {
      const holdMs = 5_000;
      const [held] = await unstarted(1, 10_000, holdMs);
      const claimedAt = Date.now();
      const early = await Promise.all([a.tickets.starter.sweep(), b.tickets.starter.sweep()]);
      // Only meaningful while the claim still holds; a machine slow enough to need longer says so.
      expect(Date.now() - claimedAt, 'the first sweeps ran within the claim').to.be.lessThan(holdMs);
      expect(early.flat()).to.not.include(held);
      await sleep(holdMs - (Date.now() - claimedAt) + 500);
      const [byA, byB] = await Promise.all([a.tickets.starter.sweep(), b.tickets.starter.sweep()]);
      expect([...byA, ...byB]).to.deep.equal([held]);
    });
  });
});
