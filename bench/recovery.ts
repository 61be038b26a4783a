// 4. recovery: N open tickets whose response deadlines fall while the worker is down. The worker
// process is stopped for BENCH_DOWN_S (a minute), then started again; measured: the time from the
// restart until every deadline that fell due meanwhile is recorded (polling Postgres, and exactly
// from the events' recorded_at), and each ticket's lateness after recovery.
//
// To fit N deadlines into a one-minute outage although creating N tickets takes longer, tickets are
// created in three groups with targets that shrink by a third of the creation time each: impact C
// first (longest target), then B, then A (shortest). Their deadlines then fall within about a third
// of the creation time of each other.
import { cacheSetting, cfg } from './config';
import { fig, type BenchResult } from './report';
import { breachMails, responseBreaches } from './on-time';
import { createStaggeredTickets, probeRate, staggerResponseTargets, startSlaStack, waitCount, waitFor, waitSettled } from './stack';
import { cpuMeter, machineCpu, round, rssSampler, sleep, summarize } from './stats';

export async function recoveryBench(r: BenchResult): Promise<void> {
  const N = cfg.tickets;
  const stack = await startSlaStack('recovery');
  try {
    const probe = await probeRate(stack);
    const estS = N / probe.endToEndPerSecond;
    // Created, settled and the worker stopped before the first deadline (impact C's first ticket).
    const t0S = Math.ceil(estS / 3 + 0.2 * estS + 30);
    const step = Math.ceil(estS / 3);
    const targets = await staggerResponseTargets(stack, t0S, step);
    const created = await createStaggeredTickets(stack, N, 20_000_000);
    const lo = Math.min(...created.numbers);
    const hi = Math.max(...created.numbers);
    const settleMs = await waitSettled(stack, lo, hi, created.created);
    const due = (await stack.db.query('SELECT min(response_due_at) AS first, max(response_due_at) AS last FROM tickets WHERE number BETWEEN $1 AND $2', [lo, hi])).rows[0];
    const firstDue = new Date(due.first).getTime();
    const lastDue = new Date(due.last).getTime();

    // ---- down
    const stopMs = await stack.stopWorker(cfg.killWorker);
    const downFrom = Date.now();
    const restartAt = Math.max(downFrom + cfg.downS * 1000, lastDue + 2_000);
    const expected = Number(
      (await stack.db.query('SELECT count(*)::int AS n FROM tickets WHERE number BETWEEN $1 AND $2 AND response_due_at >= $3 AND response_due_at < $4', [lo, hi, new Date(downFrom), new Date(restartAt)])).rows[0].n,
    );
    await sleep(restartAt - Date.now());

    // ---- up again
    const cpu = cpuMeter(() => stack.pids());
    const all = machineCpu();
    const restart = Date.now();
    const rss = rssSampler(() => stack.worker?.pid);
    const w = await stack.startWorker();
    // Bounded: gives up when no breach has been recorded for 2 minutes, or after 40 minutes.
    const got = await waitCount(
      async () =>
        Number((await stack.db.query(
          `SELECT count(*)::int AS n FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
            WHERE e.type = 'sla_breached' AND e.data->>'clock' = 'response' AND t.number BETWEEN $1 AND $2
              AND t.response_due_at >= $3 AND t.response_due_at < $4`,
          [lo, hi, new Date(downFrom), new Date(restartAt)],
        )).rows[0].n),
      expected,
      { stallMs: 120_000, capMs: 40 * 60_000, everyMs: 200 },
    );
    if (got.n < expected) process.stderr.write(`[bench] recovery: only ${got.n} of ${expected} breaches recorded\n`);
    const seen = got.n;
    const polledAllAt = got.reachedAt;
    const cores = { ...cpu.read(), machine: all.read() };
    const b = await responseBreaches(stack, lo, hi, new Date(downFrom), new Date(restartAt));
    const before = await responseBreaches(stack, lo, hi, new Date(0), new Date(downFrom));
    await waitFor('breach e-mails', async () => (await breachMails(stack, lo, hi)).length >= created.created, 120_000, 500).catch(() => {});
    const mails = await breachMails(stack, lo, hi);
    const workerRss = rss.stop();

    const lastRecorded = Math.max(...b.rows.map((x) => x.recorded_ms));
    const recoverFromFork = lastRecorded - restart;
    const recoverFromReady = lastRecorded - w.readyAt;
    const late = summarize(b.rows.map((x) => x.recorded_late_ms));
    const afterRestart = summarize(b.rows.map((x) => x.recorded_ms - restart));
    const lateBy = summarize(b.rows.map((x) => x.late_ms));
    const complete = b.perTicket.one === expected && b.perTicket.tickets === expected;
    r.figures.push(
      fig({
        key: 'recovery.time',
        label: `restart → all ${expected} missed deadlines recorded`,
        value: round(recoverFromFork / 1000, 2),
        unit: 's',
        beside: `worker process ready after ${round(w.readyMs / 1000, 1)} s; ${round(recoverFromReady / 1000, 2)} s from ready; polled ${round((polledAllAt - restart) / 1000, 1)} s`,
      }),
      fig({ key: 'recovery.rate', label: 'catch-up rate', value: round(expected / Math.max(0.001, recoverFromReady / 1000)), unit: 'breaches/s', beside: 'from worker ready to the last one recorded' }),
      fig({ key: 'recovery.afterRestart.p50', label: 'recorded after restart p50', value: round(afterRestart.p50 / 1000, 2), unit: 's' }),
      fig({ key: 'recovery.afterRestart.p99', label: 'recorded after restart p99', value: round(afterRestart.p99 / 1000, 2), unit: 's' }),
      fig({ key: 'recovery.late.p50', label: 'lateness (recorded_at - dueAt) p50', value: round(late.p50 / 1000, 1), unit: 's', beside: `worker down ${round((restart - downFrom) / 1000)} s` }),
      fig({ key: 'recovery.late.max', label: 'lateness (recorded_at - dueAt) max', value: round(late.max / 1000, 1), unit: 's' }),
      fig({ key: 'recovery.exactlyOne', label: 'missed deadlines recorded exactly once', value: b.perTicket.one, unit: `of ${expected}`, goal: `= ${expected}`, pass: complete, beside: `none ${b.perTicket.none}, more than one ${b.perTicket.more}` }),
      fig({ key: 'recovery.covered', label: 'tickets whose deadline fell while down', value: expected, unit: `of ${created.created}`, beside: `${before.perTicket.tickets} fell before the stop` }),
    );
    r.details = {
      temporalDb: stack.temporal.mode,
      maxCachedWorkflows: cacheSetting(cfg.slaMaxCachedWorkflows),
      createMaxBacklog: cfg.createMaxBacklog || 'unbounded',
      tickets: N,
      probe,
      responseTargetsS: targets,
      creation: { created: created.created, failed: created.failed, errors: created.errors, seconds: round(created.ms / 1000), throttledS: round(created.throttledMs / 1000), perSecond: round(created.perSecond) },
      settleAfterCreationMs: settleMs,
      deadlines: { first: new Date(firstDue).toISOString(), last: new Date(lastDue).toISOString(), spreadS: round((lastDue - firstDue) / 1000) },
      worker: {
        stop: cfg.killWorker ? 'SIGKILL' : 'graceful (SIGTERM → System.stop)',
        stopTookMs: stopMs,
        downFrom: new Date(downFrom).toISOString(),
        restartAt: new Date(restart).toISOString(),
        downS: round((restart - downFrom) / 1000),
        readyMs: w.readyMs,
      },
      dueWhileDown: expected,
      recorded: seen,
      perTicket: b.perTicket,
      recoveryMs: { fromRestart: recoverFromFork, fromReady: recoverFromReady, polled: polledAllAt - restart },
      recordedMinusDueMs: late,
      lateByMs: lateBy,
      recordedAfterRestartMs: afterRestart,
      beforeStop: { tickets: before.perTicket, recordedMinusDueMs: summarize(before.rows.map((x) => x.recorded_late_ms)) },
      breachMails: { sent: mails.length, of: created.created, sentMinusDueMs: summarize(mails) },
      cpuDuringRecovery: cores,
      workerRss,
    };
  } finally {
    await stack.stop();
  }
}
