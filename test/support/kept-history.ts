// A history that failed to replay, kept for whoever reads the failure: written to a file (whole,
// for Worker.runReplayHistory) and printed in short (each event's id and type), since a CI run's
// files are gone with its clone and only its output stays.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

export function keepHistory(name: string, history: History): string {
  const dir = path.join(tmpdir(), 'last-call-replay-failures');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name.replace(/[^\w.-]/g, '_')}.json`);
  const text = historyToJSON(history);
  writeFileSync(file, text);
  const json = JSON.parse(text) as { events: { eventId: string; eventType: string }[] };
  process.stderr.write(`[replay failure] ${name}: ${json.events.map((e) => `${e.eventId} ${e.eventType.replace('EVENT_TYPE_', '')}`).join(', ')}\n`);
  return file;
}
