// Routes the Temporal SDK's own logs (worker, activities, workflows) into our pino logger, so the
// whole process writes one structured JSON stream, and optionally turns on the SDK core's
// Prometheus exporter (the worker's task slots, poll and schedule-to-start latencies, cache).
import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogLevel, type RuntimeOptions } from '@temporalio/worker';
import { IllegalStateError } from '@temporalio/common';
import type { Logger } from 'pino';

let installed = false;
let metricsAddress: string | undefined;

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export interface TemporalRuntimeOptions {
  /** host:port for the core's Prometheus exporter (served at /metrics there); unset = no worker metrics. */
  metricsAddress?: string;
}

/**
 * The runtime is one per process and, while it runs, the first install wins (tests share a process
 * between systems): callers learn where its metrics are from temporalMetricsAddress(), not from
 * what they asked.
 */
export function installTemporalRuntime(log: Logger, opts: TemporalRuntimeOptions = {}): void {
  // The SDK shuts its runtime down once no worker or connection is left, and the next one brings
  // it back with the options first installed: the same metrics port, which another process may
  // hold by then (a test process stops and starts systems). Installed again with this caller's.
  if (installed && (Runtime as unknown as { _instance?: unknown })._instance !== undefined) return;
  installed = true;
  const sdkLog = log.child({ component: 'temporal' });
  const level: LogLevel = log.isLevelEnabled('debug') ? 'DEBUG' : log.isLevelEnabled('info') ? 'INFO' : 'WARN';
  const options = (metrics?: string): RuntimeOptions => ({
    logger: new DefaultLogger(level, (entry) => sdkLog[PINO_LEVEL[entry.level]](entry.meta ?? {}, entry.message)),
    telemetryOptions: {
      // The native core logs to the console by default; forward it so it shares the one JSON stream.
      logging: { filter: makeTelemetryFilterString({ core: level }), forward: {} },
      ...(metrics ? { metrics: { metricPrefix: 'temporal_', prometheus: { bindAddress: metrics } } } : {}),
    },
  });
  try {
    Runtime.install(options(opts.metricsAddress));
    metricsAddress = opts.metricsAddress;
  } catch (err) {
    // Already instantiated by someone else (e.g. a test environment): keep theirs.
    if (err instanceof IllegalStateError) return;
    // The exporter could not bind (port taken): run without worker metrics rather than not at all.
    log.error({ err, metricsAddress: opts.metricsAddress }, 'Temporal worker metrics are off: the exporter could not start');
    metricsAddress = undefined;
    Runtime.install(options(undefined));
  }
}

/** Where this process's Temporal core serves its Prometheus metrics, if it does. */
export function temporalMetricsAddress(): string | undefined {
  return metricsAddress;
}
