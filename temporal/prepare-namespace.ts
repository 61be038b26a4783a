// What a Temporal namespace needs before the engine runs on it: the namespace itself on a cluster
// of a deployment's own (the dev server makes it at start) and the ticket search attributes. Every
// process does this when it starts, since any replica may be the first; they take turns under a
// Postgres advisory lock. Without the turns two replicas could map one attribute twice: on SQL
// visibility the server gives each new attribute a free column it picks at random per request, and
// refuses a column already taken but not a name already mapped.
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { msToTs } from '@temporalio/common/lib/time';
import { LOCKS, withAdvisoryLock } from '../db/locks';
import { ALL_SEARCH_ATTRIBUTES } from './search-attributes';

// gRPC status codes (the server's answers to describe and register).
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

export interface PrepareNamespaceOptions {
  address: string;
  namespace: string;
  /** How long a closed ticket's history stays in Temporal, when this call creates the namespace. */
  retentionDays: number;
  /** The deployment's database: the replicas take turns under its advisory lock. Unset: no turns (one process). */
  databaseUrl?: string;
  /** How long to wait for the frontend to see a new namespace or attributes (default 30 s). */
  waitMs?: number;
}

export interface PreparedNamespace {
  createdNamespace: boolean;
  addedSearchAttributes: string[];
}

/** Connects to `address` just long enough to create what is missing; returns what it created. */
export async function prepareNamespace(o: PrepareNamespaceOptions): Promise<PreparedNamespace> {
  const connection = await Connection.connect({ address: o.address });
  try {
    const work = () => prepare(connection, o);
    return o.databaseUrl ? await withAdvisoryLock(o.databaseUrl, LOCKS.temporalSetup, work) : await work();
  } finally {
    await connection.close();
  }
}

async function prepare(connection: Connection, o: PrepareNamespaceOptions): Promise<PreparedNamespace> {
  const deadline = Date.now() + (o.waitMs ?? 30_000);
  const createdNamespace = await ensureNamespace(connection, o.namespace, o.retentionDays);
  // Listing goes through the frontend's namespace cache, which learns of a new namespace within
  // seconds; until then it answers "not found".
  const known = await listed(connection, o.namespace, [], deadline);
  const missing = ALL_SEARCH_ATTRIBUTES.filter((k) => !known.has(k.name));
  if (missing.length > 0) {
    try {
      await connection.operatorService.addSearchAttributes({
        namespace: o.namespace,
        searchAttributes: Object.fromEntries(missing.map((k) => [k.name, encodeSearchAttributeIndexedValueType(k.type)!])),
      });
    } catch (err) {
      // A process outside the turns (another deployment's, a person with the CLI) may have added
      // them meanwhile: what counts is that they are there, checked below.
      const now = await listed(connection, o.namespace, [], deadline);
      if (!missing.every((k) => now.has(k.name))) throw err;
    }
    await listed(connection, o.namespace, missing.map((k) => k.name), deadline);
  }
  return { createdNamespace, addedSearchAttributes: missing.map((k) => k.name) };
}

/** Registers the namespace unless it exists; true when this call created it. */
async function ensureNamespace(connection: Connection, namespace: string, retentionDays: number): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return false;
  } catch (err) {
    if (!(isGrpcServiceError(err) && err.code === NOT_FOUND)) throw err;
  }
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      description: 'Last Call SLA engine: one workflow per support ticket',
      workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`),
    });
    return true;
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === ALREADY_EXISTS) return false;
    throw err;
  }
}

/** The custom attributes the frontend lists, once it lists the namespace and every name in `expected`. */
async function listed(connection: Connection, namespace: string, expected: string[], deadline: number): Promise<Set<string>> {
  for (;;) {
    let names: Set<string> | undefined;
    let last: unknown;
    try {
      const r = await connection.operatorService.listSearchAttributes({ namespace });
      names = new Set(Object.keys(r.customAttributes ?? {}));
    } catch (err) {
      if (!(isGrpcServiceError(err) && err.code === NOT_FOUND)) throw err;
      last = err;
    }
    if (names && expected.every((n) => names.has(n))) return names;
    if (Date.now() > deadline) {
      throw new Error(`Temporal namespace ${namespace}: ${names ? `search attributes ${expected.filter((n) => !names.has(n)).join(', ')} not listed` : `not known to the frontend (${String(last)})`} after waiting`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
