import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';

/** The engine's client: everything it sends and reads through the data converter (temporal/data-converter.ts). */
export async function connectTemporal(address: string, namespace: string, dataConverter: DataConverter): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace, dataConverter });
}
