// The benchmarks read Temporal's own metrics (bench/server-tasks.ts): lines as the dev server
// serves them, two scrapes, the differences; the system namespace and other task types left out.
import { expect } from 'chai';
import { serverSampleOf, serverTasksBetween } from '../../bench/server-tasks';

const scrape = (n: { timers: number; timersS: number; wft: number; normal: number; normalS: number; sticky: number; stickyS: number; sync: number }) =>
  [
    `task_latency_queue_count{namespace="default",operation="TimerActiveTaskUserTimer",queue_reader_id="0",service_name="history",task_priority="high",task_type="TimerActiveTaskUserTimer"} ${n.timers}`,
    `task_latency_queue_sum{namespace="default",operation="TimerActiveTaskUserTimer",queue_reader_id="0",service_name="history",task_priority="high",task_type="TimerActiveTaskUserTimer"} ${n.timersS}`,
    `task_latency_queue_count{namespace="default",operation="TimerActiveTaskWorkflowTaskTimeout",queue_reader_id="0",service_name="history",task_priority="low",task_type="TimerActiveTaskWorkflowTaskTimeout"} 5724`,
    `task_latency_queue_count{namespace="default",operation="TransferActiveTaskWorkflowTask",queue_reader_id="0",service_name="history",task_priority="high",task_type="TransferActiveTaskWorkflowTask"} ${n.wft}`,
    `task_latency_queue_count{namespace="temporal_system",operation="TransferActiveTaskWorkflowTask",queue_reader_id="0",service_name="history",task_priority="high",task_type="TransferActiveTaskWorkflowTask"} 77`,
    `asyncmatch_latency_count{namespace="default",operation="PollWorkflowTaskQueue",partition="0",service_name="matching",task_type="Workflow",taskqueue="q"} ${n.normal}`,
    `asyncmatch_latency_sum{namespace="default",operation="PollWorkflowTaskQueue",partition="0",service_name="matching",task_type="Workflow",taskqueue="q"} ${n.normalS}`,
    `asyncmatch_latency_count{namespace="default",operation="PollWorkflowTaskQueue",partition="__sticky__",service_name="matching",task_type="Workflow",taskqueue="q"} ${n.sticky}`,
    `asyncmatch_latency_sum{namespace="default",operation="PollWorkflowTaskQueue",partition="__sticky__",service_name="matching",task_type="Workflow",taskqueue="q"} ${n.stickyS}`,
    `asyncmatch_latency_count{namespace="default",operation="PollActivityTaskQueue",partition="0",service_name="matching",task_type="Activity",taskqueue="q"} 500`,
    `syncmatch_latency_count{namespace="default",operation="AddWorkflowTask",partition="0",service_name="matching",task_type="Workflow",taskqueue="q"} ${n.sync}`,
    `poll_success{namespace="default",operation="TaskQueueMgr",partition="0",service_name="matching",task_type="Workflow",taskqueue="q",worker_build_id="__unversioned__"} ${n.normal + n.sync}`,
    `poll_success{namespace="default",operation="TaskQueueMgr",partition="__sticky__",service_name="matching",task_type="Workflow",taskqueue="q",worker_build_id="__unversioned__"} ${n.sticky}`,
  ].join('\n');

describe("Temporal's metrics in the benchmarks (bench/server-tasks.ts)", () => {
  it('takes the differences between two scrapes: timers, tasks handed to matching, the backlog and its wait, sticky apart', () => {
    const a = serverSampleOf([scrape({ timers: 100, timersS: 10, wft: 300, normal: 200, normalS: 20, sticky: 50, stickyS: 1, sync: 10 })], 0);
    const b = serverSampleOf([scrape({ timers: 2100, timersS: 4010, wft: 4300, normal: 2150, normalS: 52020, sticky: 100, stickyS: 2, sync: 20 })], 50_000);
    expect(serverTasksBetween(a, b)).to.deep.equal({
      seconds: 50,
      timers: 2000,
      timerQueueMeanMs: 2000,
      workflowTasks: 4000,
      handedOutPerS: 40.2,
      handedOut: 2010,
      stickyHandedOut: 50,
      backlog: 2000,
      backlogMeanMs: 26001,
      stickyBacklog: 50,
      waitingPoller: 10,
    });
  });

  it("sums the cluster's services (history's and matching's scrapes), each metric from the one that serves it", () => {
    const lines = scrape({ timers: 7, timersS: 1, wft: 9, normal: 3, normalS: 3, sticky: 1, stickyS: 1, sync: 2 }).split('\n');
    const history = lines.filter((l) => l.includes('service_name="history"')).join('\n');
    const matching = lines.filter((l) => l.includes('service_name="matching"')).join('\n');
    expect(serverSampleOf([history, matching], 0)).to.deep.equal(serverSampleOf([lines.join('\n')], 0));
    expect(serverSampleOf([history, matching], 0)).to.include({ timers: 7, workflowTasks: 9, backlog: 4, stickyBacklog: 1, handedOut: 6 });
  });
});
