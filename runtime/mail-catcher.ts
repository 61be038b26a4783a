// A local SMTP server that keeps every message as an .eml file, so a person can read what the
// engine sent when no real SMTP_URL is configured. The engine still speaks real SMTP to it.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface MailCatcher {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startMailCatcher(opts: { dir: string; port?: number }): Promise<MailCatcher> {
  mkdirSync(opts.dir, { recursive: true });
  let n = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address).join('_').replace(/[^a-zA-Z0-9@._-]/g, '_');
        const file = path.join(opts.dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${++n}-${to}.eml`);
        writeFileSync(file, Buffer.concat(chunks));
        callback();
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve((server.server.address() as { port: number }).port));
  });
  return { url: `smtp://127.0.0.1:${port}`, dir: opts.dir, stop: () => new Promise((r) => server.close(() => r())) };
}
