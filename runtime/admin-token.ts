// The admin token of a local run when ADMIN_TOKEN is unset: random, kept per data folder, so the
// README's curl lines keep working across restarts and for both local commands (npm start and
// npm run start:cluster read the same file).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { secretWeakness } from '../domain/secret-strength';

/** DATA_DIR/admin-token, made on first use. */
export function localAdminToken(dataDir: string): { token: string; file: string } {
  const file = path.join(dataDir, 'admin-token');
  if (!existsSync(file)) {
    // Random, and drawn again in the rare case it has a run the ADMIN_TOKEN rule refuses.
    let token = randomBytes(24).toString('hex');
    while (secretWeakness(token)) token = randomBytes(24).toString('hex');
    writeFileSync(file, token + '\n', { mode: 0o600 });
  }
  const token = readFileSync(file, 'utf8').trim();
  // The file may be an old one, or edited by hand: the same rule as ADMIN_TOKEN.
  const weakness = secretWeakness(token);
  if (weakness) throw new Error(`the admin token in ${file} is too weak: ${weakness}. Delete the file to have a new one generated`);
  return { token, file };
}
