// The inbound SMTP listener alone in a process of its own, for smtp-edges.test.ts's memory attack, so
// neither the attacking client nor a Temporal worker in the test's process shows up in what is read.
// Told over IPC when to take its baseline and when to report. What is read, every 20 ms while a
// message streams in, is what the process still holds: the heap used and the buffers outside it,
// right after a full collection. Resident memory would also count what is dead but not collected
// yet, which depends on the Node version: Node 24 left up to 80 MB of dead socket buffers for later
// where Node 20 freed them at once (+57 to +66 MB of resident memory against +17 MB, holding the same).
import pino from 'pino';
import { startInboundSmtp } from '../../mail/inbound';

export interface ListenerReport {
  /** Bytes held when told to start, and their peak since. */
  before: number;
  peak: number;
}

const maxMessageBytes = Number(process.argv[2]);
const supportAddresses = process.argv.slice(3);

function held(): number {
  if (!global.gc) throw new Error('run with --expose-gc');
  global.gc();
  const u = process.memoryUsage();
  return u.heapUsed + u.external;
}

void (async () => {
  const smtp = await startInboundSmtp({
    port: 0,
    host: '127.0.0.1',
    maxMessageBytes,
    supportAddresses,
    log: pino({ level: 'silent' }),
    // Never reached by a message past the limit; anything else is refused the way a down database would be.
    handle: async () => {
      throw new Error('this listener takes no message');
    },
  });
  let sampler: NodeJS.Timeout | undefined;
  const report: ListenerReport = { before: 0, peak: 0 };
  process.on('message', (m: 'start' | 'report' | 'stop') => {
    if (m === 'start') {
      report.before = report.peak = held();
      sampler = setInterval(() => (report.peak = Math.max(report.peak, held())), 20);
      process.send!('started');
    } else if (m === 'report') {
      clearInterval(sampler);
      report.peak = Math.max(report.peak, held());
      process.send!(report);
    } else {
      void smtp.stop().then(() => process.exit(0));
    }
  });
  process.send!({ port: smtp.port });
})();
