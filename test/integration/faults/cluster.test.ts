// Faults on the production shape (test/support/cluster.ts): Temporal's services as separate
// processes on Postgres, two worker processes and two API processes. With tickets whose deadlines
// are falling, each fault ends with the check every fault test makes (expectNothingLost): every
// clock fired, every breach recorded once and at the moment it fell due, every e-mail sent once.
// The default run has every fault with a few tickets and outages of seconds; FAULTS_LONG=1 runs them
// with tens of tickets and outages of 20 s.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { tsToMs } from '@temporalio/common/lib/time';
import { expect } from 'chai';
import { eventually, secondsPolicy, sleep } from '../../support/harness';
import { LONG, expectNothingLost } from '../../support/faults';
import { clusterBinaries, startTestCluster, type TestCluster } from '../../support/cluster';

interface Filed {
  id: string;
  number: number;
  workflowId: string;
  responseDueAt: string;
  resolutionDueAt: string;
}

describe('faults on the production shape: Temporal as four processes on Postgres, two workers, two APIs', function () {
  this.timeout(LONG ? 1_800_000 : 300_000);
  let c: TestCluster | undefined;
  let customers: string[] = [];

  before(async function () {
    // The server, its SQL tool and the UI server are built by npm run setup:cluster (CI runs it).
    if (!clusterBinaries()) return this.skip();
    this.timeout(300_000);
    c = await startTestCluster({ label: 'cluster', policy: secondsPolicy() });
    customers = await Promise.all([1, 2].map(() => c!.t.createCustomer('advanced')));
  });
  after(async () => {
    await c?.stop();
  });

  /** POST /api/tickets to API process `api` as the customer's requester. */
  async function file(api: number, customerId: string, extra: Record<string, unknown> = {}, key?: string): Promise<{ status: number; body: any }> {
    const r = await fetch(`${c!.apiUrl(api)}/api/tickets`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${c!.t.customer(customerId).requesterToken}`,
        'content-type': 'application/json',
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: JSON.stringify({ type: 'problem', impact: 'A', subject: 'Mail server down', description: 'Nobody can send mail since 9:00.', ...extra }),
    });
    return { status: r.status, body: await r.json() };
  }

  /** Advanced A tickets (response 2 s, resolution 4 s, warnings at half of each), spread over both APIs. */
  async function fileMany(count: number): Promise<Filed[]> {
    const out = await Promise.all(Array.from({ length: count }, (_, i) => file(i % 2, customers[i % 2])));
    for (const r of out) expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return out.map((r) => r.body);
  }

  async function startedAll(tickets: Filed[], timeoutMs = 60_000): Promise<void> {
    await eventually(
      async () => (await Promise.all(tickets.map(async (x) => (await c!.t.admin('GET', `/api/tickets/${x.id}`)).body.workflowStarted))).every(Boolean),
      timeoutMs,
      'every ticket to have its workflow started',
    );
  }

  /**
   * Every clock fires (nobody answers these tickets) and is recorded at its due time, however late
   * the fault let it be recorded. Waited for first: the record is consistent long before then.
   */
  async function breachedOnTime(tickets: Filed[]): Promise<void> {
    await eventually(
      async () => {
        const views = await Promise.all(tickets.map(async (x) => (await c!.t.admin('GET', `/api/tickets/${x.id}`)).body));
        return views.every((v) => v.sla?.response.breachedAt && v.sla?.resolution.breachedAt);
      },
      settle,
      'every clock of every ticket to fire',
    );
    for (const x of tickets) {
      const v = (await c!.t.admin('GET', `/api/tickets/${x.id}`)).body;
      expect(v.sla.response.breachedAt, `#${x.number} response`).to.equal(x.responseDueAt);
      expect(v.sla.resolution.breachedAt, `#${x.number} resolution`).to.equal(x.resolutionDueAt);
    }
  }

  const settle = LONG ? 300_000 : 120_000;

  /** The TCP sockets `pid` listens on (/proc/net/tcp and tcp6 rows in LISTEN whose inode it holds). */
  function listeningSockets(pid: number): Array<{ address: string; port: number; loopback: boolean }> {
    const inodes = new Set<string>();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const target = (() => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return '';
        }
      })();
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m) inodes.add(m[1]);
    }
    const out: Array<{ address: string; port: number; loopback: boolean }> = [];
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        // local_address is hex IP:port; st 0A is LISTEN; inode is the tenth field.
        if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9])) continue;
        const [hexIp, hexPort] = f[1].split(':');
        // Addresses are 32-bit words in the host's (little-endian) order: 0100007F is 127.0.0.1.
        const ipv4 = (word: string) => word.match(/../g)!.reverse().map((b) => parseInt(b, 16)).join('.');
        const mapped = hexIp.length === 32 && hexIp.toUpperCase().startsWith('0000000000000000FFFF0000');
        const address = hexIp.length === 8 ? ipv4(hexIp) : mapped ? ipv4(hexIp.slice(24)) : hexIp;
        const loopback = address.startsWith('127.') || hexIp === '00000000000000000000000001000000';
        out.push({ address, port: parseInt(hexPort, 16), loopback });
      }
    }
    return out;
  }

  /** Who took each workflow task of a ticket's workflow, and when. */
  async function workflowTaskWorkers(workflowId: string): Promise<Array<{ identity: string; at: number }>> {
    const history = await c!.t.sys.temporal.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? [])
      .filter((e) => e.workflowTaskStartedEventAttributes)
      .map((e) => ({ identity: e.workflowTaskStartedEventAttributes!.identity ?? '', at: tsToMs(e.eventTime) }));
  }

  it("listens on the host's loopback only, but for the APIs' HTTP port: Temporal's frontend, history, matching, worker, the workers, the metrics", function () {
    // Linux's view of the sockets each process holds.
    if (!existsSync('/proc/net/tcp')) return this.skip();
    const processes = [...Object.values(c!.temporal.services), ...c!.workers, ...c!.apis];
    const open: string[] = [];
    for (const p of processes) {
      const listening = listeningSockets(p.child!.pid!);
      expect(listening.length, `${p.name} listens somewhere`).to.be.greaterThan(0);
      const httpPort = c!.apis.includes(p) ? Number(new URL(c!.apiUrl(c!.apis.indexOf(p))).port) : undefined;
      for (const l of listening) if (!l.loopback && l.port !== httpPort) open.push(`${p.name} ${l.address}:${l.port}`);
    }
    expect(open).to.deep.equal([]);
  });

  it('gives the engine\'s task queue one partition (ops/temporal/dynamicconfig.yaml, read by every Temporal service)', async () => {
    const { connection, options } = c!.t.sys.temporal;
    const partitions = await connection.workflowService.listTaskQueuePartitions({ namespace: options.namespace, taskQueue: { name: c!.t.taskQueue } });
    expect(partitions.workflowTaskQueuePartitions, 'workflow task queue partitions').to.have.length(1);
    expect(partitions.activityTaskQueuePartitions, 'activity task queue partitions').to.have.length(1);
  });

  it('history SIGKILLed while clocks fall due, and started again: every clock fires, tickets taken in meanwhile start', async () => {
    const before = await fileMany(LONG ? 40 : 8);
    await startedAll(before);
    await sleep(1_000); // warnings in flight
    await c!.temporal.services.history.kill('SIGKILL');
    // Taken in while no history host is there: stored, their workflows started later by an API's sweep.
    const during = await fileMany(LONG ? 20 : 4);
    await sleep(LONG ? 20_000 : 3_000); // the rest fall due with no history host
    await c!.temporal.services.history.start();
    await startedAll(during, 90_000);
    await breachedOnTime([...before, ...during]);
    await expectNothingLost(c!.t, [...before, ...during], settle);
  });

  it('one of the two workers SIGKILLed mid-flight, not started again: the other takes its tickets', async () => {
    const tickets = await fileMany(LONG ? 60 : 12);
    await startedAll(tickets);
    await sleep(1_200); // warnings and first breaches in flight
    const [victim, survivor] = c!.workers;
    // Workers name themselves pid@host in each workflow task they take (the SDK's default identity).
    const victimId = `${victim.child!.pid}@${hostname()}`;
    const survivorId = `${survivor.child!.pid}@${hostname()}`;
    await victim.kill('SIGKILL');
    const killedAt = Date.now();
    let restartedAt = Infinity;
    try {
      await breachedOnTime(tickets);
      await expectNothingLost(c!.t, tickets, settle, { killedAt });
      // Work for every ticket while the victim is still dead, whatever its clocks did meanwhile (on
      // a loaded machine they may all have fired before the kill): a step is a workflow task that
      // only the survivor can take, for the victim's tickets too.
      const assigned = await Promise.all(tickets.map((x) => c!.t.api('POST', `/api/tickets/${x.id}/assign`, { assigneeId: c!.t.techId })));
      expect(assigned.map((r) => r.status)).to.deep.equal(tickets.map(() => 200));
    } finally {
      restartedAt = Date.now();
      await victim.start();
    }
    // The victim held some of these tickets (the task queue spreads them, and a ticket's tasks stick
    // to the worker that has it cached), the survivor took them over (their steps at least), and
    // while the victim was dead every task went to the survivor.
    const taken = await Promise.all(tickets.map((x) => workflowTaskWorkers(x.workflowId)));
    const held = taken.filter((w) => w.some((t) => t.identity === victimId && t.at < killedAt));
    expect(held.length, 'tickets the killed worker worked').to.be.greaterThan(0);
    const takenOver = held.filter((w) => w.some((t) => t.identity === survivorId && t.at > killedAt));
    expect(takenOver.length, "tickets of the killed worker the other took over").to.equal(held.length);
    const meanwhile = taken.flat().filter((t) => t.at > killedAt + 100 && t.at < restartedAt);
    expect(meanwhile.filter((t) => t.identity !== survivorId), 'tasks taken by another than the survivor while the victim was dead').to.deep.equal([]);
  });

  it('an API SIGKILLed while clients retry their intakes with Idempotency-Key: no client gets a second ticket', async () => {
    const run = randomBytes(3).toString('hex');
    const clients = Array.from({ length: LONG ? 60 : 20 }, (_, i) => ({ key: `retry-${run}-${i}`, subject: `Client ${run} ${i}`, customer: customers[i % 2], attempts: 0 }));
    let firstAnswer!: () => void;
    const answered = new Promise<void>((r) => (firstAnswer = r));
    // As a client behind a load balancer sees it: a failed call is sent again, with the same key,
    // and lands on the other replica.
    const intake = async (cl: (typeof clients)[number]) => {
      for (;;) {
        const api = cl.attempts++ === 0 ? 0 : 1;
        const r = await file(api, cl.customer, { subject: cl.subject }, cl.key).catch(() => undefined);
        if (r?.status === 201) {
          if (api === 0) firstAnswer();
          return r.body as Filed;
        }
        if (r && r.status < 500) throw new Error(`${cl.key}: ${r.status} ${JSON.stringify(r.body)}`);
        if (cl.attempts > 10) throw new Error(`${cl.key}: no ticket after ${cl.attempts} attempts`);
        await sleep(200);
      }
    };
    // Half now, the rest over the next half second: some in flight when API 1 dies, some after.
    const results = clients.map((cl, i) => sleep(i < clients.length / 2 ? 0 : (i - clients.length / 2) * 50).then(() => intake(cl)));
    await answered;
    await c!.apis[0].kill('SIGKILL');
    const tickets = await Promise.all(results);

    expect(clients.filter((cl) => cl.attempts > 1).length, 'clients that had to retry').to.be.greaterThan(0);
    // One ticket per client, whatever its attempts: an intake whose answer was lost with API 1 is
    // found again by its key on API 2.
    const counts = await c!.t.sys.sequelize.query<{ subject: string; n: string }>(
      `SELECT subject, count(*) AS n FROM tickets WHERE subject LIKE :like GROUP BY subject`,
      { replacements: { like: `Client ${run} %` }, type: 'SELECT' as never },
    );
    expect(counts.length, 'clients with a ticket').to.equal(clients.length);
    expect(counts.filter((r) => Number(r.n) !== 1), 'clients with more than one ticket').to.deep.equal([]);
    expect(new Set(tickets.map((x) => x.id)).size).to.equal(clients.length);
    // Accepted by API 1 and left unstarted by its death: API 2's sweep starts them.
    await startedAll(tickets, 90_000);
    await c!.apis[0].start();
    await breachedOnTime(tickets);
    await expectNothingLost(c!.t, tickets, settle);
  });

  it('Postgres restarted under Temporal and the engine: every process lives on, everything recorded once when it is back', async () => {
    const tickets = await fileMany(LONG ? 40 : 8);
    await startedAll(tickets);
    await sleep(1_000);
    await c!.restartPostgres(LONG ? 20_000 : 4_000);
    // Nobody is there to start a process again: each must have lived through it.
    for (const p of [...Object.values(c!.temporal.services), ...c!.workers, ...c!.apis]) {
      expect(p.child!.exitCode ?? p.child!.signalCode, `${p.name} exited`).to.equal(null);
    }
    await breachedOnTime(tickets);
    // An e-mail the SMTP server took while Postgres was going away could not be logged as sent then;
    // the worker that sent it marks it once Postgres is back, before its outbox lease lets the other
    // worker claim it (mail/send-log.ts). No process died: nothing may come twice.
    await expectNothingLost(c!.t, tickets, settle);
  });

  it('the frontend SIGKILLed and started again: workers and APIs reconnect, every clock fires', async () => {
    const tickets = await fileMany(LONG ? 40 : 8);
    await startedAll(tickets);
    await sleep(1_000);
    await c!.temporal.services.frontend.kill('SIGKILL');
    await sleep(LONG ? 20_000 : 3_000);
    await c!.temporal.services.frontend.start();
    await breachedOnTime(tickets);
    await expectNothingLost(c!.t, tickets, settle);
  });
});
