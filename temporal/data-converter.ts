// The one data converter of every Temporal client and worker of the engine (runtime/system.ts, the
// replay test, scripts and benches that read histories): payloads through the AES-GCM codec,
// failure messages and stack traces into encrypted payloads. What Temporal keeps is ciphertext;
// search attributes are the exception (docs/security.md).
import type { DataConverter } from '@temporalio/common';
import type { AesGcmPayloadCodec } from './payload-codec';

/** The module the workflow bundle and loadDataConverter read the failure converter from. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

export function engineDataConverter(codec: AesGcmPayloadCodec): DataConverter {
  return { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH };
}
