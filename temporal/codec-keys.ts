// The keys of the payload codec (temporal/payload-codec.ts), as TEMPORAL_CODEC_KEYS and
// TEMPORAL_CODEC_KEY_ID write them: `id:base64,id:base64,…`, each 32 random bytes (AES-256), and
// the id of the one that encrypts. Every key listed decrypts, so a rotation is: add a new key, make
// it the one that encrypts, keep the old ones for as long as histories written with them are kept
// (TEMPORAL_RETENTION_DAYS after their tickets close). A key that a person made up rather than drew
// at random is refused before anything starts, with the reason, as ADMIN_TOKEN is.
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

export const CODEC_KEY_BYTES = 32;
/** Fewer different bytes than this in 32 is not a random draw (a random key has ~31). */
const MIN_DISTINCT_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface CodecKeys {
  /** The id of the key that encrypts. */
  current: string;
  /** Every key that decrypts, by id (the current one among them). */
  keys: ReadonlyMap<string, KeyObject>;
}

export const HOW_TO_MAKE_A_KEY = 'make one with: echo "k1:$(openssl rand -base64 32)"';

/** Why 32 bytes are not a key to trust, in words that finish "… is weak: <reason>"; null when they pass. */
export function keyWeakness(key: Uint8Array): string | null {
  if (key.length !== CODEC_KEY_BYTES) return `it is ${key.length} bytes; AES-256 takes exactly ${CODEC_KEY_BYTES}`;
  // A random key is all printable ASCII once in 10^13 draws: this is a password or a phrase.
  if (key.every((b) => b >= 0x20 && b <= 0x7e)) return 'it is text (a password or a phrase written in base64), not random bytes';
  const distinct = new Set(key).size;
  if (distinct < MIN_DISTINCT_BYTES) return `it has only ${distinct} different bytes of ${CODEC_KEY_BYTES}; random bytes have about 31`;
  for (let period = 1; period <= key.length / 2; period++) {
    if (key.every((b, i) => i < period || b === key[i - period])) return `it is a piece of ${period} bytes repeated`;
  }
  return null;
}

/**
 * TEMPORAL_CODEC_KEYS and TEMPORAL_CODEC_KEY_ID read and checked: the keys, or every problem found
 * (each a sentence naming the key by its id, never showing the key).
 */
export function parseCodecKeys(text: string, currentId?: string): { keys: CodecKeys } | { problems: string[] } {
  const problems: string[] = [];
  const keys = new Map<string, KeyObject>();
  const entries = text.split(/[,\n]/).map((x) => x.trim()).filter((x) => x !== '');
  if (entries.length === 0) problems.push(`no key given; ${HOW_TO_MAKE_A_KEY}`);
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const encoded = colon > 0 ? entry.slice(colon + 1) : '';
    const name = KEY_ID.test(id) ? `key ${JSON.stringify(id)}` : `key number ${i + 1}`;
    if (!KEY_ID.test(id)) return problems.push(`${name} is not written id:base64 with an id of letters, digits, '.', '_' or '-' (at most 64); ${HOW_TO_MAKE_A_KEY}`);
    if (keys.has(id)) return problems.push(`${name} is listed twice`);
    const bytes = Buffer.from(encoded, 'base64');
    if (!BASE64.test(encoded) || bytes.toString('base64') !== encoded) return problems.push(`${name} is not standard base64; ${HOW_TO_MAKE_A_KEY}`);
    const weakness = keyWeakness(bytes);
    if (weakness) return problems.push(`${name} is weak: ${weakness}; ${HOW_TO_MAKE_A_KEY}`);
    keys.set(id, createSecretKey(bytes));
  });
  const ids = entries.map((e) => e.slice(0, Math.max(0, e.indexOf(':'))));
  let current = currentId;
  if (current === undefined) {
    // With one key there is nothing to choose; with several, a rotation must say which is new.
    if (ids.length > 1) problems.push(`TEMPORAL_CODEC_KEY_ID must name the key that encrypts, one of: ${ids.join(', ')}`);
    current = ids[0];
  } else if (!ids.includes(current)) {
    problems.push(`TEMPORAL_CODEC_KEY_ID ${JSON.stringify(current)} is not among the keys of TEMPORAL_CODEC_KEYS (${ids.join(', ')})`);
  }
  return problems.length > 0 ? { problems } : { keys: { current: current!, keys } };
}

/** A new key entry, `id:base64`, for a local run (runtime/codec-keys-file.ts) or a test. */
export function newCodecKeyEntry(id: string): string {
  for (;;) {
    const key = randomBytes(CODEC_KEY_BYTES);
    if (!keyWeakness(key)) return `${id}:${key.toString('base64')}`;
  }
}
