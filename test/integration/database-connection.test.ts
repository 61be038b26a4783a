// The database connection as a Postgres that is going down treats it: a server shutting down (a
// restart, a failover) may answer a new connection with ReadyForQuery and, in the same packet, its
// FATAL "terminating connection due to administrator command". pg emitted that error before
// Sequelize had put its listener on the client, and the process died of it: both worker processes
// of the topology fault test did, when Postgres restarted under load. A server on a real socket
// here sends exactly that packet.
import { createServer, type Server } from 'node:net';
import { expect } from 'chai';
import { connectDatabase } from '../../db';

/** A PostgreSQL wire message: type byte, length, body. */
function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0);
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}
const cstring = (s: string) => Buffer.from(`${s}\0`);

/** Accepts the startup message, then says "ready" and "goodbye" in one write, and hangs up. */
function goingDown(): Promise<{ server: Server; port: number }> {
  const fatal = Buffer.concat([
    Buffer.from('S'), cstring('FATAL'), Buffer.from('V'), cstring('FATAL'), Buffer.from('C'), cstring('57P01'),
    Buffer.from('M'), cstring('terminating connection due to administrator command'), Buffer.from([0]),
  ]);
  const authenticationOk = Buffer.alloc(4);
  const server = createServer((socket) => {
    socket.once('data', () => {
      socket.end(Buffer.concat([
        message('R', authenticationOk),
        message('S', Buffer.concat([cstring('server_version'), cstring('16.0')])),
        message('Z', Buffer.from('I')),
        message('E', fatal),
      ]));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

describe('database connection: a server that says goodbye as it says ready', () => {
  it('fails the connection attempt (the pool tries again later) instead of ending the process', async () => {
    const { server, port } = await goingDown();
    const sequelize = connectDatabase(`postgres://app:secret@127.0.0.1:${port}/app`);
    try {
      // Had the error gone unheard, mocha would see an uncaught exception here instead.
      const err = await sequelize.authenticate().then(() => undefined, (e: Error) => e);
      expect(err, 'connected to a server that hung up').to.be.instanceOf(Error);
      // pg's word for the dead connection, from the first query Sequelize sends on it.
      expect(err!.message).to.match(/connection error|Connection terminated/i);
    } finally {
      await sequelize.close();
      server.close();
    }
  });
});
