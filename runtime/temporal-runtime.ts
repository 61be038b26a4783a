// Routes the Temporal SDK's own logs (worker, activities, workflows) into our pino logger, so the
// whole process writes one structured JSON stream.
import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

let installed = false;

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export function installTemporalRuntime(log: Logger): void {
  if (installed) return;
  installed = true;
  const sdkLog = log.child({ component: 'temporal' });
  const level: LogLevel = log.isLevelEnabled('debug') ? 'DEBUG' : log.isLevelEnabled('info') ? 'INFO' : 'WARN';
  try {
    Runtime.install({
      logger: new DefaultLogger(level, (entry) => sdkLog[PINO_LEVEL[entry.level]](entry.meta ?? {}, entry.message)),
      // The native core logs to the console by default; forward it so it shares the one JSON stream.
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: level }), forward: {} } },
    });
  } catch {
    // Already instantiated by someone else (e.g. a test environment): keep theirs.
  }
}
