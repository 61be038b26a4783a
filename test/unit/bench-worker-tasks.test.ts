// The benchmarks read the worker's SDK core metrics in Prometheus text (bench/worker-tasks.ts):
// a series is summed over its labels, or over the ones asked for, and names that only share a
// prefix are not counted.
import { expect } from 'chai';
import { metricSum } from '../../bench/worker-tasks';

const text = [
  '# HELP temporal_worker_task_slots_used Current number of slots in use',
  '# TYPE temporal_worker_task_slots_used gauge',
  'temporal_worker_task_slots_used{namespace="default",task_queue="q",worker_type="ActivityWorker"} 3',
  'temporal_worker_task_slots_used{namespace="default",task_queue="q",worker_type="WorkflowWorker"} 38',
  'temporal_workflow_task_schedule_to_start_latency_sum{namespace="default",task_queue="q"} 1250.5',
  'temporal_workflow_task_schedule_to_start_latency_count{namespace="default",task_queue="q"} 10',
  'temporal_sticky_cache_miss{namespace="default",task_queue="q"} 7',
  'temporal_sticky_cache_miss_total_ignored 99',
  'temporal_workflow_task_queue_poll_succeed 4',
].join('\n');

describe('worker metrics in the benchmarks (bench/worker-tasks.ts)', () => {
  it('sums a series over its labels, or over the ones asked for', () => {
    expect(metricSum(text, 'temporal_worker_task_slots_used')).to.equal(41);
    expect(metricSum(text, 'temporal_worker_task_slots_used', { worker_type: 'WorkflowWorker' })).to.equal(38);
    expect(metricSum(text, 'temporal_workflow_task_schedule_to_start_latency_sum')).to.equal(1250.5);
  });

  it('reads a series without labels and leaves out names that only share a prefix', () => {
    expect(metricSum(text, 'temporal_workflow_task_queue_poll_succeed')).to.equal(4);
    expect(metricSum(text, 'temporal_sticky_cache_miss')).to.equal(7);
    expect(metricSum(text, 'temporal_no_such_metric')).to.equal(0);
  });
});
