// What the payload codec (temporal/payload-codec.ts) costs: AES-256-GCM over a ticket's workflow
// input as intake hands it to Temporal, and over every payload of a whole ticket's history (what a
// worker decodes when it replays a ticket outside its cache, and the UI or CLI through the codec
// server when ops open it). Not a test.
//
//   npx ts-node --transpile-only bench/codec-cost.ts [rounds=7] [iterations=20000]
//
// The payloads are the recorded ones of test/histories/full-life.json. Each round measures each
// operation over `iterations` runs after a warm-up; the figure is the median round, in µs of wall
// time per operation on this (shared) machine, beside the JSON conversion every payload pays anyway.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { visit, walkGetWorkflowExecutionHistoryResponse } from '@temporalio/common/lib/internal-non-workflow';
import { AesGcmPayloadCodec } from '../temporal/payload-codec';
import { newCodecKeyEntry, parseCodecKeys } from '../temporal/codec-keys';
import { loadAvg, round } from './stats';

const rounds = Number(process.argv[2] ?? 7);
const iterations = Number(process.argv[3] ?? 20_000);

async function main() {
  const parsed = parseCodecKeys(newCodecKeyEntry('bench'));
  if (!('keys' in parsed)) throw new Error(parsed.problems.join('; '));
  const codec = new AesGcmPayloadCodec(parsed.keys);
  const history = historyFromJSON(JSON.parse(readFileSync(path.join(__dirname, '..', 'test', 'histories', 'full-life.json'), 'utf8')));
  const input = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0] as Payload;
  const value = defaultPayloadConverter.fromPayload(input);
  // Every payload of the history, as the codec runner and the codec server see them.
  const all: Payload[] = [];
  await visit({ history }, walkGetWorkflowExecutionHistoryResponse, {
    transformPayload: async (p) => (all.push(p), p),
    transformPayloads: async (ps) => (all.push(...ps), ps),
    initialContext: undefined,
  });
  const encrypted = codec.encodeOne(input);
  const allEncrypted = all.map((p) => codec.encodeOne(p));
  const bytes = (ps: Payload[]) => ps.reduce((n, p) => n + (p.data?.length ?? 0), 0);

  const ops: Array<[string, number, () => unknown]> = [
    ['JSON to payload and back (paid anyway)', 1, () => defaultPayloadConverter.fromPayload(defaultPayloadConverter.toPayload(value)!)],
    ['encode (encrypt) the ticket input', 1, () => codec.encodeOne(input)],
    ['decode (decrypt) the ticket input', 1, () => codec.decodeOne(encrypted)],
    ['encode + decode the ticket input', 1, () => codec.decodeOne(codec.encodeOne(input))],
    [`decode a whole ticket history (${all.length} payloads)`, all.length, () => allEncrypted.forEach((p) => codec.decodeOne(p))],
  ];
  const load = loadAvg().load1;
  const results: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, per, run] of ops) {
      const n = Math.max(50, Math.floor(iterations / per));
      for (let i = 0; i < Math.min(1000, n); i++) run();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) run();
      (results[name] ??= []).push(Number(process.hrtime.bigint() - t0) / 1000 / n);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  process.stdout.write(
    `payload codec cost (AES-256-GCM, node ${process.version}; load ${load} → ${loadAvg().load1}; median of ${rounds} rounds)\n` +
      `  ticket input: ${input.data!.length} bytes of JSON → ${encrypted.data!.length} encrypted (+${encrypted.data!.length - input.data!.length}: IV, tag, metadata inside)\n` +
      `  full-life history: ${all.length} payloads, ${bytes(all)} bytes → ${bytes(allEncrypted)} encrypted\n` +
      ops.map(([name]) => `  ${name.padEnd(52)} ${round(median(results[name]), 1)} µs`).join('\n') +
      '\n',
  );
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
