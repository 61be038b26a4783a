// What the engine hands Temporal is encrypted: every payload (workflow inputs and results, activity
// arguments, signals, updates, queries, memos, the UI's summaries and details, failure text) leaves
// the process as AES-256-GCM ciphertext, and Temporal's store, its UI and anyone who reads its
// histories see bytes. Search attributes are the exception (Temporal indexes them, so they stay
// plain: docs/security.md). The codec runs outside the workflow sandbox (the worker's codec runner,
// the client, the codec server), so node:crypto is at hand.
//
// The wire format is the one of Temporal's reference samples (samples-typescript "encryption", the
// Go SDK's example): metadata `encoding: binary/encrypted` and `encryption-key-id: <id>`, data
// `IV (12 bytes) || ciphertext || GCM tag (16 bytes)`, the ciphertext being the whole serialized
// Payload protobuf, so the original metadata (json/plain, protobuf type names) is hidden too.
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { CodecKeys } from './codec-keys';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = temporal.api.common.v1.Payload;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

export type PayloadCodecErrorCode = 'UNKNOWN_KEY_ID' | 'NOT_AUTHENTIC' | 'MALFORMED';

/** A payload this codec cannot decode, and why; the codec server answers 400 with the code. */
export class PayloadCodecError extends Error {
  constructor(
    readonly code: PayloadCodecErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PayloadCodecError';
  }
}

export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.encoding;
  return encoding != null && Buffer.from(encoding).toString('utf8') === ENCRYPTED_ENCODING;
}

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keys: CodecKeys) {}

  /** The id of the key new payloads are encrypted with. */
  get currentKeyId(): string {
    return this.keys.current;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encodeOne(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decodeOne(p));
  }

  encodeOne(payload: Payload): Payload {
    const key = this.keys.keys.get(this.keys.current)!;
    // A fresh random IV per payload: GCM's one rule is never to reuse an IV under a key (2^32
    // payloads per key keep the chance of a collision below 2^-32, NIST SP 800-38D).
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const plain = ProtoPayload.encode(payload).finish();
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { encoding: utf8.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8.encode(this.keys.current) },
      data,
    };
  }

  /** Payloads without our encoding pass through: histories from before the codec, search attributes, headers. */
  decodeOne(payload: Payload): Payload {
    if (!isEncrypted(payload)) return payload;
    const keyId = keyIdOf(payload);
    const key = this.keys.keys.get(keyId);
    if (!key) {
      throw new PayloadCodecError(
        'UNKNOWN_KEY_ID',
        `the payload was encrypted with key id ${JSON.stringify(keyId)}, which is not among this process's keys (${[...this.keys.keys.keys()].join(', ')}): add it back to TEMPORAL_CODEC_KEYS (old keys stay there after a rotation)`,
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadCodecError('MALFORMED', `the payload's data is ${data.length} bytes, shorter than an encrypted payload can be`);
    const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const plain = open(key, buffer, keyId);
    try {
      return ProtoPayload.decode(plain);
    } catch {
      throw new PayloadCodecError('MALFORMED', 'the decrypted payload is not a Temporal payload');
    }
  }
}

function keyIdOf(payload: Payload): string {
  const raw = payload.metadata?.[KEY_ID_METADATA];
  if (!raw || raw.length === 0) throw new PayloadCodecError('MALFORMED', `an encrypted payload without its ${KEY_ID_METADATA} metadata`);
  try {
    return fromUtf8.decode(raw);
  } catch {
    throw new PayloadCodecError('MALFORMED', `the payload's ${KEY_ID_METADATA} is not UTF-8`);
  }
}

function open(key: KeyObject, data: Buffer, keyId: string): Buffer {
  const iv = data.subarray(0, IV_BYTES);
  const tag = data.subarray(data.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
  } catch {
    // GCM's tag did not verify: a byte changed, the data was cut, or another key carries this id.
    throw new PayloadCodecError('NOT_AUTHENTIC', `the payload does not authenticate under key ${JSON.stringify(keyId)}: it was altered, truncated, or encrypted with a different key under that id`);
  }
}
