// The text a scrape gets: our registry, followed by the Temporal SDK core's own metrics when this
// process runs a worker with the core's Prometheus exporter on (it serves them on a port of its
// own; appending them here gives Prometheus one target per process).
import { registry } from './metrics';

export const CONTENT_TYPE = registry.contentType;

/** Where to read an exporter bound to `bindAddress` from this process (a wildcard host means loopback). */
export function scrapeUrl(bindAddress: string): string {
  const m = /^(.*):(\d+)$/.exec(bindAddress.trim());
  if (!m) throw new Error(`not a host:port address: ${bindAddress}`);
  const host = m[1] === '' || m[1] === '0.0.0.0' || m[1] === '[::]' || m[1] === '::' ? '127.0.0.1' : m[1];
  return `http://${host}:${m[2]}/metrics`;
}

const familyOf = (line: string): string | null => {
  const declared = /^# (?:HELP|TYPE) (\S+)/.exec(line);
  if (declared) return declared[1];
  if (line.startsWith('#') || !line.trim()) return null;
  return /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? null;
};

/**
 * Append a second exposition to ours, leaving out every family whose name ours already has: two
 * families of one name would make Prometheus reject the whole scrape.
 */
export function mergeExposition(ours: string, theirs: string): string {
  const taken = new Set<string>();
  for (const line of ours.split('\n')) {
    const name = familyOf(line);
    if (name) taken.add(name);
  }
  const kept: string[] = [];
  let current: string | null = null;
  for (const line of theirs.split('\n')) {
    if (/^# (?:HELP|TYPE) /.test(line)) current = familyOf(line);
    else if (!line.startsWith('#') && line.trim()) {
      // A sample belongs to the family declared above it (histograms: name_bucket, name_sum, name_count).
      const name = familyOf(line)!;
      if (!current || !(name === current || name.startsWith(`${current}_`))) current = name;
    }
    if (!line.trim()) continue;
    if (current && taken.has(current)) continue;
    kept.push(line);
  }
  if (!kept.length) return ours;
  return `${ours.replace(/\n*$/, '\n')}${kept.join('\n')}\n`;
}

/** Our metrics, plus the Temporal core's when its exporter runs in this process (`temporalMetricsAddress`). */
export async function metricsText(temporalMetricsAddress?: string): Promise<string> {
  const ours = await registry.metrics();
  if (!temporalMetricsAddress) return ours;
  try {
    const res = await fetch(scrapeUrl(temporalMetricsAddress), { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) throw new Error(`status ${res.status}`);
    return mergeExposition(ours, await res.text());
  } catch (err) {
    // Our own figures are still worth serving; the gap in the worker's series shows the failure.
    return `${ours.replace(/\n*$/, '\n')}# Temporal worker metrics unavailable: ${(err as Error).message.replace(/\s+/g, ' ')}\n`;
  }
}
