// The payload codec's key of a local run when TEMPORAL_CODEC_KEYS is unset: drawn once, kept in
// the data folder beside the Temporal store it encrypts (so both go, or stay, together), readable by
// this user only, and printed nowhere. npm start and npm run start:cluster read the same file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { newCodecKeyEntry, parseCodecKeys, type CodecKeys } from '../temporal/codec-keys';

/** DATA_DIR/temporal-codec-keys, made on first use: TEMPORAL_CODEC_KEYS's format, one key. */
export function localCodecKeys(dataDir: string): { keys: CodecKeys; text: string; file: string } {
  const file = path.join(dataDir, 'temporal-codec-keys');
  // An id of its own per data folder: a history decoded with another folder's key names the key it lacks.
  if (!existsSync(file)) writeFileSync(file, newCodecKeyEntry(`local-${randomBytes(4).toString('hex')}`) + '\n', { mode: 0o600 });
  const text = readFileSync(file, 'utf8').trim();
  const parsed = parseCodecKeys(text);
  // Edited by hand, or copied from elsewhere: the rule of TEMPORAL_CODEC_KEYS.
  if ('problems' in parsed) throw new Error(`the codec key in ${file} is refused: ${parsed.problems.join('; ')}. Moving the file away makes a new key, and the histories it encrypted unreadable`);
  return { keys: parsed.keys, text, file };
}
