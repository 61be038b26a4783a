// same-instant: N open tickets (2,000) whose response deadlines all fall on one instant, as a
// business-hours calendar makes them at opening time: every ticket filed while the desk is closed
// starts its clock when it opens. The benchmark gives the Advanced targets a calendar that opens
// today (UTC) at the first whole minute after the tickets can be filed and recorded, and a response
// target of BENCH_INSTANT_TARGET_S (60 s): every deadline is opening + 60 s, to the millisecond.
// The chain has the breach only (no warning at the same instant before it, no manager after it
// within the wait), so what is measured is N breaches decided at once. Measured: how long after the
// instant the last breach was recorded (goal: 30 s, on both shapes), the breaches' lateness, and
// that each ticket got exactly one.
import { cacheSetting, cfg } from './config';
import { fig, type BenchResult } from './report';
import { breachMails, responseBreaches } from './on-time';
import { createTickets, editPolicy, probeRate, startSlaStack, waitCount, waitFor, waitSettled } from './stack';
import { lateBreachHistories } from './task-timeouts';
import { cpuMeter, machineCpu, round, rssSampler, sleep, summarize } from './stats';
import { serverTaskMeter, serverTasksFigure } from './server-tasks';
import { workerTaskMeter, workerTasksFigure } from './worker-tasks';

export const SAME_INSTANT_GOAL_S = 30;

/** The first whole UTC minute at least `afterMs` from `now`, as a Date and as the calendar's 'HH:mm'. */
export function openingAfter(now: number, afterMs: number): { at: number; hhmm: string; weekday: string } {
  const at = Math.ceil((now + afterMs) / 60_000) * 60_000;
  const d = new Date(at);
  if (d.getUTCDate() !== new Date(now).getUTCDate()) throw new Error('same-instant: the opening would fall after midnight UTC; run it earlier in the day');
  const hhmm = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return { at, hhmm, weekday: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][d.getUTCDay()] };
}

export async function sameInstantBench(r: BenchResult): Promise<void> {
  const N = cfg.instantCount;
  const stack = await startSlaStack('same-instant');
  try {
    // How fast this shape creates tickets now (default policy, not measured): the opening is set
    // after the N tickets can be filed and recorded, with margin.
    const probe = await probeRate(stack);
    const estCreateMs = (N / probe.endToEndPerSecond) * 1000;
    const opening = openingAfter(Date.now(), 1.4 * estCreateMs + 30_000);
    const targetS = cfg.instantTargetS;
    await editPolicy(stack, (p) => {
      p.calendars = { ...p.calendars, bench_opening: { timezone: 'UTC', hours: { [opening.weekday]: [[opening.hhmm, '24:00']] }, holidays: [] } };
      for (const impact of ['A', 'B', 'C'] as const) p.targets.advanced[impact] = { response: `PT${targetS}S`, resolution: 'PT8H', calendar: 'bench_opening' };
      p.escalation = [{ at: 1, notify: 'lead' }];
      p.autoBrandMeeting = { plans: [], impacts: [], on: [] };
    });
    const instant = opening.at + targetS * 1000;
    const created = await createTickets(stack, N, {
      concurrency: cfg.createConcurrency,
      impact: (i) => (['A', 'B', 'C'] as const)[i % 3],
      offset: 30_000_000,
      maxBacklog: cfg.createMaxBacklog || undefined,
    });
    const createdAt = Date.now();
    if (created.failed > 0) process.stderr.write(`[bench] same-instant: ${created.failed} tickets refused: ${created.errors.join(' | ')}\n`);
    const lo = Math.min(...created.numbers);
    const hi = Math.max(...created.numbers);
    const settleMs = await waitSettled(stack, lo, hi, created.created, Math.max(60_000, instant - Date.now())).catch((err) => {
      process.stderr.write(`[bench] same-instant: ${String(err)} by the instant\n`);
      return NaN;
    });
    // Tickets filed after the opening (the probe underestimated the time) have a later deadline: left out.
    const onInstant = Number(
      (await stack.db.query('SELECT count(*)::int AS n FROM tickets WHERE number BETWEEN $1 AND $2 AND response_due_at >= $3 AND response_due_at < $4', [lo, hi, new Date(instant), new Date(instant + 1000)])).rows[0].n,
    );
    if (onInstant < created.created) process.stderr.write(`[bench] same-instant: only ${onInstant} of ${created.created} deadlines on the instant\n`);

    const worker = rssSampler(() => stack.worker?.pid);
    const server = rssSampler(() => stack.temporal.pid);
    if (instant - 2_000 > Date.now()) await sleep(instant - 2_000 - Date.now());
    const cpu = cpuMeter(() => stack.pids());
    const all = machineCpu();
    const tasks = workerTaskMeter(stack.worker!.metricsUrl!);
    const serverTasks = serverTaskMeter(stack.temporal.metricsUrls);
    const count = async () =>
      Number((await stack.db.query(
        `SELECT count(*)::int AS n FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
          WHERE e.type = 'sla_breached' AND e.data->>'clock' = 'response' AND t.number BETWEEN $1 AND $2
            AND t.response_due_at >= $3 AND t.response_due_at < $4`,
        [lo, hi, new Date(instant), new Date(instant + 1000)],
      )).rows[0].n);
    const got = await waitCount(count, onInstant, { stallMs: 120_000, capMs: 30 * 60_000, everyMs: 250 });
    const cores = { ...cpu.read(), machine: all.read() };
    const workerTasks = await tasks.read();
    const temporalTasks = await serverTasks.read();
    if (got.n < onInstant) process.stderr.write(`[bench] same-instant: only ${got.n} of ${onInstant} breaches recorded\n`);
    const b = await responseBreaches(stack, lo, hi, new Date(instant), new Date(instant + 1000));
    await waitFor('breach e-mails', async () => (await breachMails(stack, lo, hi)).length >= onInstant, 60_000, 500).catch(() => {});
    const mails = await breachMails(stack, lo, hi);
    const rss = worker.stop();
    const serverRss = server.stop();

    const { timeouts, timelines } = await lateBreachHistories(stack, b.rows);

    const late = summarize(b.rows.map((x) => x.late_ms));
    const rec = summarize(b.rows.map((x) => x.recorded_late_ms));
    const allRecordedS = b.rows.length >= onInstant && onInstant > 0 ? round(rec.max / 1000) : NaN;
    const exactlyOne = b.perTicket.one === b.perTicket.tickets && b.perTicket.tickets === onInstant;
    r.figures.push(
      fig({
        key: 'sameinstant.create',
        label: `creating ${N} tickets before the opening (API, ${cfg.createConcurrency} callers)`,
        value: round(created.perSecond),
        unit: 'tickets/s',
        beside: `${round(created.ms / 1000)} s; ${onInstant} of ${created.created} deadlines on the instant; the opening ${round((opening.at - createdAt) / 1000)} s after the last was filed`,
      }),
      fig({
        key: 'sameinstant.allRecorded',
        label: `all ${onInstant} breaches recorded, after the instant`,
        value: allRecordedS,
        unit: 's',
        goal: `< ${SAME_INSTANT_GOAL_S} s`,
        pass: allRecordedS < SAME_INSTANT_GOAL_S,
        beside: `${round(onInstant / Math.max(0.001, allRecordedS), 1)} breaches/s`,
      }),
      fig({ key: 'sameinstant.late.p50', label: 'breach lateness p50 (lateByMs)', value: late.p50, unit: 'ms' }),
      fig({ key: 'sameinstant.late.p99', label: 'breach lateness p99 (lateByMs)', value: late.p99, unit: 'ms' }),
      fig({ key: 'sameinstant.late.max', label: 'breach lateness max (lateByMs)', value: late.max, unit: 'ms' }),
      fig({ key: 'sameinstant.recorded.p99', label: 'recorded_at - dueAt p99', value: rec.p99, unit: 'ms' }),
      fig({
        key: 'sameinstant.exactlyOne',
        label: 'tickets with exactly one response breach',
        value: b.perTicket.one,
        unit: `of ${onInstant}`,
        goal: `= ${onInstant}`,
        pass: exactlyOne,
        beside: `none ${b.perTicket.none}, more than one ${b.perTicket.more}`,
      }),
      fig({ key: 'sameinstant.mail.p99', label: 'breach e-mail sent - dueAt p99', value: summarize(mails).p99, unit: 'ms', beside: `${mails.length} sent, max ${summarize(mails).max} ms` }),
      'error' in timeouts
        ? fig({ key: 'sameinstant.taskTimeouts', label: 'sampled histories with a workflow task timeout', value: NaN, unit: '', beside: timeouts.error })
        : fig({
            key: 'sameinstant.taskTimeouts',
            label: 'sampled histories with a workflow task timeout',
            value: timeouts.ticketsWithATimeout,
            unit: `of ${timeouts.histories}`,
            beside: `schedule-to-start (sticky queue) ${timeouts.scheduleToStart}, start-to-close ${timeouts.startToClose}`,
          }),
      workerTasksFigure('sameinstant.workerTasks', 'until all are recorded', workerTasks),
      serverTasksFigure('sameinstant.serverTasks', 'until all are recorded', temporalTasks),
      fig({ key: 'sameinstant.workerRss', label: 'worker RSS peak', value: rss.peakMiB, unit: 'MiB' }),
    );
    r.details = {
      temporal: stack.temporal.mode,
      maxCachedWorkflows: cacheSetting(cfg.slaMaxCachedWorkflows),
      probe,
      opening: new Date(opening.at).toISOString(),
      instant: new Date(instant).toISOString(),
      responseTargetS: targetS,
      escalation: 'the breach only (at 1, lead); brand meetings on breach off',
      creation: { created: created.created, failed: created.failed, errors: created.errors, seconds: round(created.ms / 1000), perSecond: round(created.perSecond), latency: summarize(created.latency) },
      onInstant,
      settleAfterCreationMs: settleMs,
      recordedCountReachedAfterInstantMs: Number.isFinite(got.reachedAt) ? got.reachedAt - instant : null,
      lateByMs: late,
      recordedMinusDueMs: rec,
      perTicket: b.perTicket,
      breachMails: { sent: mails.length, sentMinusDueMs: summarize(mails) },
      cpuFromInstantToAllRecorded: cores,
      // From the worker's SDK core, from 2 s before the instant until all were recorded (bench/worker-tasks.ts).
      workerTasksToAllRecorded: workerTasks,
      temporalTasksToAllRecorded: temporalTasks,
      workerRss: rss,
      temporalRss: { process: stack.temporal.mode === 'cluster' ? 'history service' : 'dev server', ...serverRss },
      workflowTaskTimeouts: { sample: '50 latest breaches and 50 spread over the rest', ...timeouts },
      latestBreaches: timelines,
    };
  } finally {
    await stack.stop();
  }
}
