// The payload codec as every test system runs it (harness.ts): fixed keys, so a history one test
// process wrote decodes in another, and the helpers that read a history as ops with codec access do.
import { createHash } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import { defaultPayloadConverter } from '@temporalio/common';
import { visit, walkGetWorkflowExecutionHistoryResponse } from '@temporalio/common/lib/internal-non-workflow';
import { parseCodecKeys, type CodecKeys } from '../../temporal/codec-keys';
import { AesGcmPayloadCodec } from '../../temporal/payload-codec';
import { engineDataConverter } from '../../temporal/data-converter';

/** 32 bytes that look drawn at random (a digest), under an id of their own. */
export const testKeyEntry = (id: string) => `${id}:${createHash('sha256').update(`last-call-sla test codec key ${id}`).digest('base64')}`;

export function keysOf(text: string, current?: string): CodecKeys {
  const parsed = parseCodecKeys(text, current);
  if ('problems' in parsed) throw new Error(parsed.problems.join('; '));
  return parsed.keys;
}

/** TEMPORAL_CODEC_KEYS of every test system: the standalone processes the fault tests start get it too. */
export const TEST_CODEC_KEYS_TEXT = testKeyEntry('test-1');
export const TEST_CODEC_KEYS = keysOf(TEST_CODEC_KEYS_TEXT);
export const testCodec = new AesGcmPayloadCodec(TEST_CODEC_KEYS);
/** For clients and replay workers of the tests' own: what the engine's client and worker use. */
export const testDataConverter = engineDataConverter(testCodec);

type History = temporal.api.history.v1.IHistory;

/** The history with every payload decrypted, as the UI or CLI with the codec server shows it. */
export async function decodedHistory(history: History): Promise<History> {
  const response: temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryResponse = { history };
  await visit(response, walkGetWorkflowExecutionHistoryResponse, {
    transformPayload: async (p) => testCodec.decodeOne(p),
    transformPayloads: async (ps) => testCodec.decode(ps),
    initialContext: undefined,
  });
  return response.history!;
}

/** A failure's message as ops with the codec server read it (temporal/failure-converter.ts moves it into an encrypted payload). */
export function failureText(failure: temporal.api.failure.v1.IFailure | null | undefined): string | undefined {
  if (!failure) return undefined;
  if (!failure.encodedAttributes) return failure.message ?? undefined;
  return defaultPayloadConverter.fromPayload<{ message?: string }>(testCodec.decodeOne(failure.encodedAttributes)).message;
}
