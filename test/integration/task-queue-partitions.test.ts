// The dev server runs the dynamic config the cluster runs (runtime/temporal-dev-server.ts,
// ops/temporal/dynamicconfig.yaml): one partition per task queue, read back from the server itself.
// The cluster's own is checked in test/integration/faults/cluster.test.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Connection } from '@temporalio/client';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../../runtime/temporal-dev-server';

/** The values of ops/temporal/dynamicconfig.yaml that carry no constraint (`key:` then `- value: N`). */
function clusterValues(): Record<string, number> {
  const text = readFileSync(path.join(__dirname, '..', '..', 'ops', 'temporal', 'dynamicconfig.yaml'), 'utf8');
  return Object.fromEntries([...text.matchAll(/^([\w.]+):\n\s+- value: (\d+)\s*$/gm)].map((m) => [m[1], Number(m[2])]));
}

describe('Temporal dynamic config: the dev server runs what the cluster runs', () => {
  it('sets each value the dev server is given to the same value in the cluster\'s file', () => {
    const cluster = clusterValues();
    for (const [key, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG)) expect(cluster[key], key).to.equal(value);
  });

  it('gives a task queue one partition on the dev server the tests run', async () => {
    const connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
    try {
      const partitions = await connection.workflowService.listTaskQueuePartitions({ namespace: 'default', taskQueue: { name: `partitions-${process.pid}` } });
      expect(partitions.workflowTaskQueuePartitions, 'workflow task queue partitions').to.have.length(1);
      expect(partitions.activityTaskQueuePartitions, 'activity task queue partitions').to.have.length(1);
    } finally {
      await connection.close();
    }
  });
});
