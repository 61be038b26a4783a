// Customer data encrypted in Temporal, on the real server: a ticket filed through the API and worked
// (steps, an ops signal, a refused actor) leaves a history in which someone with Temporal access and
// no keys finds none of the customer's words, only the search attributes ops filter by; with the
// codec (the engine's client, the CLI through the codec server) the same history reads plainly and
// replays; without the codec it does not.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { ensureTemporalBinary } from '../../runtime/temporal-binary';
import { startTemporalDevServer } from '../../runtime/temporal-dev-server';
import { portLayout, uiEnvironment } from '../../runtime/temporal-cluster';
import { freePort } from '../../runtime/free-port';
import { OPS_STEP_SIGNALS, type TicketWorkflowInput } from '../../workflows/definitions';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../temporal/payload-codec';
import { startSystem } from '../../runtime/system';
import { initModels } from '../../db/models';
import { visit, walkGetWorkflowExecutionHistoryResponse } from '@temporalio/common/lib/internal-non-workflow';
import { eventually, secondsPolicy, startTestSystem, type TestSystem } from '../support/harness';
import { TEST_CODEC_KEYS_TEXT, decodedHistory, keysOf, testDataConverter, testKeyEntry } from '../support/codec';

const run = promisify(execFile);
const History = temporal.api.history.v1.History;
type IHistory = temporal.api.history.v1.IHistory;

describe('customer data encrypted in Temporal (payload codec)', function () {
  this.timeout(120_000);
  let t: TestSystem;
  let plainClient: Client;
  const mark = randomBytes(3).toString('hex');
  // Non-ASCII on purpose: the search is for UTF-8 bytes, as the payloads carry them.
  const customerName = `Ferretería Núñez ${mark}`;
  const requester = { name: `Ana Pérez ${mark}`, email: `ana.${mark}@ferreteria.test` };
  const subject = `Copias de seguridad fallan ${mark}`;
  const description = `Cada trabajo falla desde las 09:00 ${mark}`;
  const words = { response: `Llamé a la clienta ${mark}`, resolution: `Permisos del repositorio ${mark}`, ghost: `ghost.${mark}@ferreteria.test` };
  let ticket: { id: string; number: number; workflowId: string };
  let requesterToken: string;
  let raw: IHistory;

  before(async () => {
    t = await startTestSystem({ label: 'codec', policy: secondsPolicy({ A: { response: 'PT60S', resolution: 'PT120S' } }) });
    // Someone with Temporal access but no keys: the SDK's client as it comes.
    plainClient = new Client({ connection: await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! }) });

    const c = await t.admin('POST', '/api/customers', { name: customerName });
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    await t.admin('POST', `/api/customers/${c.body.id}/products`, { brand: 'Zimbra', name: 'Collaboration Suite', technology: 'email', purchaseConfirmedAt: yesterday, licensesDeliveredAt: yesterday });
    const r = await t.admin('POST', `/api/customers/${c.body.id}/users`, requester);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    requesterToken = r.body.token;
    const filed = await t.as(r.body.token)('POST', '/api/tickets', { type: 'problem', impact: 'A', subject, description });
    expect(filed.status, JSON.stringify(filed.body)).to.equal(201);
    ticket = filed.body;
    const handle = t.sys.temporal.workflow.getHandle(ticket.workflowId);
    await eventually(() => handle.describe().then(() => true, () => false), 10_000, 'the workflow');
    // Worked: assigned, answered, an ops signal naming nobody the directory knows (recorded as
    // refused, with its look-up's summary), resolved.
    expect((await t.api('POST', `/api/tickets/${ticket.id}/assign`, { assigneeId: t.techId })).status).to.equal(200);
    expect((await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'phone', message: words.response })).status).to.equal(200);
    await handle.signal(OPS_STEP_SIGNALS.respond, { actor: words.ghost, via: 'phone', message: words.response });
    await eventually(async () => (await t.api('GET', `/api/tickets/${ticket.id}`)).body.events.some((e: { type: string }) => e.type === 'step_refused'), 20_000, 'the refused signal');
    expect((await t.api('POST', `/api/tickets/${ticket.id}/resolve`, { resolution: words.resolution })).status).to.equal(200);
    raw = await plainClient.workflow.getHandle(ticket.workflowId).fetchHistory();
  });
  after(async () => {
    await plainClient?.connection.close();
    await t?.stop();
  });

  /** The key id of every encrypted payload of a history. */
  async function collectKeyIds(h: IHistory): Promise<string[]> {
    const ids: string[] = [];
    const note = (p: Payload) => {
      const id = p.metadata?.[KEY_ID_METADATA];
      if (id) ids.push(Buffer.from(id).toString());
      return p;
    };
    await visit({ history: h }, walkGetWorkflowExecutionHistoryResponse, { transformPayload: async (p) => note(p), transformPayloads: async (ps) => ps.map(note), initialContext: undefined });
    return ids;
  }

  const bytesOf = (h: IHistory) => Buffer.from(History.encode(History.fromObject(h)).finish());
  const found = (bytes: Buffer, ...texts: string[]) => texts.filter((x) => bytes.includes(Buffer.from(x, 'utf8')));

  /** The history without its search attributes: what the codec is for. */
  function withoutSearchAttributes(h: IHistory): IHistory {
    const copy = History.decode(bytesOf(h));
    for (const e of copy.events) {
      if (e.workflowExecutionStartedEventAttributes) e.workflowExecutionStartedEventAttributes.searchAttributes = null;
      if (e.upsertWorkflowSearchAttributesEventAttributes) e.upsertWorkflowSearchAttributesEventAttributes.searchAttributes = null;
    }
    return copy;
  }

  it("without the codec, a ticket's history holds none of the customer's words: no name, subject, description, e-mail, step text", () => {
    const bytes = bytesOf(raw);
    expect(raw.events!.length, 'a worked ticket').to.be.greaterThan(15);
    expect(found(bytes, subject, description, requester.name, requester.email, words.response, words.resolution, words.ghost)).to.deep.equal([]);
    // The customer's name is there once, as the CustomerName search attribute ops filter by, and
    // nowhere else; the assignee's e-mail likewise (docs/security.md says which attributes carry what).
    expect(found(bytes, customerName, t.techEmail)).to.deep.equal([customerName, t.techEmail]);
    expect(found(bytesOf(withoutSearchAttributes(raw)), customerName, t.techEmail)).to.deep.equal([]);
    // Every payload outside the search attributes is ciphertext naming its key.
    const start = raw.events![0].workflowExecutionStartedEventAttributes!;
    expect(Buffer.from(start.input!.payloads![0].metadata!.encoding!).toString()).to.equal(ENCRYPTED_ENCODING);
    expect(Buffer.from(raw.events![0].userMetadata!.summary!.metadata!.encoding!).toString()).to.equal(ENCRYPTED_ENCODING);
  });

  it('with the codec, the same history decodes to the workflow input, and the UI metadata to its summary and details', async () => {
    const history = await decodedHistory(raw);
    const input = defaultPayloadConverter.fromPayload<TicketWorkflowInput>(history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0]);
    expect(input).to.include({ customerName, subject, number: ticket.number });
    expect(input.requester).to.deep.include(requester);
    const bytes = bytesOf(history);
    // The ops signal's text is in its payload; the API's step texts are not in the history at all,
    // only their references (domain/ticket-texts.ts): they are in Postgres.
    expect(found(bytes, subject, requester.name, requester.email, words.response, words.ghost)).to.deep.equal([subject, requester.name, requester.email, words.response, words.ghost]);
    expect(found(bytes, words.resolution), 'the resolution, written through the API').to.deep.equal([]);
    // The engine's client reads the summary and details through the codec; a plain client gets bytes.
    const described = await t.sys.temporal.workflow.getHandle(ticket.workflowId).describe();
    expect(await described.staticSummary()).to.contain(subject);
    expect(await described.staticDetails()).to.contain(customerName).and.contain(requester.email);
    // Without keys even describe() fails: the memo is encrypted too.
    const refused = await plainClient.workflow.getHandle(ticket.workflowId).describe().then(() => 'described', (e: Error) => e.message);
    expect(refused).to.contain(`Unknown encoding: ${ENCRYPTED_ENCODING}`);
  });

  it("the encrypted history replays with the engine's data converter", async () => {
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! }, dataConverter: testDataConverter }, raw, ticket.workflowId);
  });

  it("npm start's Temporal UI is pointed at the codec server; the cluster's calls it with the browser's session", async function () {
    const binary = ensureTemporalBinary();
    if (!binary) return this.skip();
    const dir = mkdtempSync(path.join(tmpdir(), 'last-call-codec-ui-'));
    const dev = await startTemporalDevServer({ binary, port: await freePort(), uiPort: await freePort(), namespace: 'default', dbFile: path.join(dir, 'temporal.db'), logFile: path.join(dir, 'temporal.log'), codecEndpoint: `${t.url}/codec` });
    try {
      // What the UI reads at start (its /api/v1/settings): the CLI's dev server sets the endpoint
      // only, so a person ticks "Include cross-origin credentials" once (docs/operations.md).
      const settings = (await (await fetch(`${dev.uiUrl}/api/v1/settings`)).json()) as { Codec: { Endpoint: string; IncludeCredentials: boolean } };
      expect(settings.Codec).to.include({ Endpoint: `${t.url}/codec`, IncludeCredentials: false });
    } finally {
      await dev.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const ui = uiEnvironment({ ports: portLayout(7233, 8080), namespace: 'default', codecEndpoint: 'http://localhost:3000/codec' }, '127.0.0.1:7233');
    expect(ui).to.include({ TEMPORAL_CODEC_ENDPOINT: 'http://localhost:3000/codec', TEMPORAL_CODEC_INCLUDE_CREDENTIALS: 'true' });
    expect(Object.keys(ui).filter((k) => /KEY|TOKEN|SECRET/.test(k)), 'no secret reaches the UI server').to.deep.equal([]);
  });

  it('the Temporal CLI shows the history decrypted through the codec server with a staff token, and only then', async function () {
    const cli = ensureTemporalBinary();
    if (!cli) return this.skip();
    const show = (...extra: string[]) =>
      run(cli, ['workflow', 'show', '--workflow-id', ticket.workflowId, '--output', 'json', '--address', process.env.TEST_TEMPORAL_ADDRESS!, '--namespace', 'default', ...extra], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }).then(
        (r) => r.stdout,
        (e: Error & { stderr?: string }) => `failed: ${e.stderr ?? e.message}`,
      );
    // The CLI prints each payload's data in base64: read them all, as a person would decode them.
    const readable = (out: string) => out + [...out.matchAll(/"data": "([A-Za-z0-9+/=]*)"/g)].map(([, b64]) => Buffer.from(b64, 'base64').toString('utf8')).join('\n');
    const plain = readable(await show());
    expect(plain).to.contain('"eventType": "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"');
    expect(found(Buffer.from(plain), subject, requester.email, words.resolution), 'no codec').to.deep.equal([]);
    const decoded = readable(await show('--codec-endpoint', `${t.url}/codec`, '--codec-auth', `Bearer ${t.techToken}`));
    expect(found(Buffer.from(decoded), subject, requester.email, words.ghost), 'a staff token').to.deep.equal([subject, requester.email, words.ghost]);
    // The ticket's summary and details, as `temporal workflow describe` shows them with the codec
    // server in the environment (and no --namespace: the CLI then sends an empty X-Namespace).
    const codecEnv = { ...process.env, TEMPORAL_CODEC_ENDPOINT: `${t.url}/codec`, TEMPORAL_CODEC_AUTH: `Bearer ${t.techToken}` };
    const described = await run(cli, ['workflow', 'describe', '--workflow-id', ticket.workflowId, '--address', process.env.TEST_TEMPORAL_ADDRESS!], { timeout: 60_000, env: codecEnv });
    expect(described.stdout).to.contain(subject).and.contain(requester.email);
    // A requester's token: the codec server refuses (403) and the CLI shows nothing decoded (it
    // retries the refused call until its deadline, then says so). Every refusal: test/security/codec-server.test.ts.
    const refused = readable(await show('--codec-endpoint', `${t.url}/codec`, '--codec-auth', `Bearer ${requesterToken}`));
    expect(refused).to.match(/^failed: /);
    expect(found(Buffer.from(refused), subject, requester.email)).to.deep.equal([]);
  });

  // Last: the ticket then holds payloads under a key the test system's own codec server lacks.
  it('a rotation: a worker without the key a ticket was written with fails its task naming the key; given the old and the new key it carries on', async () => {
    const handle = t.sys.temporal.workflow.getHandle(ticket.workflowId);
    await t.sys.stopWorker();
    const rotated = keysOf([TEST_CODEC_KEYS_TEXT, testKeyEntry('test-2')].join(','), 'test-2');
    const onlyNew = keysOf(testKeyEntry('test-2'));
    const worker = (codecKeys: typeof rotated) => startSystem({ ...t.options, api: false, worker: true, inboundSmtpPort: undefined, schedules: undefined, codecKeys });
    let w = await worker(onlyNew);
    try {
      // A step for the ticket: its history was written with test-1, which this worker lacks.
      await handle.signal(OPS_STEP_SIGNALS.reopen, { actor: t.techEmail, reason: words.response });
      const failed = await eventually(async () => {
        const events = (await plainClient.workflow.getHandle(ticket.workflowId).fetchHistory()).events ?? [];
        return events.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes;
      }, 30_000, 'the failed workflow task');
      // Its text is encrypted with the key this worker has; read through it, it names the key it lacks.
      const reason = defaultPayloadConverter.fromPayload<{ message: string }>(new AesGcmPayloadCodec(onlyNew).decodeOne(failed.failure!.encodedAttributes!)).message;
      expect(reason).to.contain('"test-1"').and.contain('TEMPORAL_CODEC_KEYS');
      await w.stop();
      w = await worker(rotated);
      await eventually(async () => (await t.api('GET', `/api/tickets/${ticket.id}`)).body.events.some((e: { type: string }) => e.type === 'reopened'), 30_000, 'the step, once the worker has both keys');
      // What it wrote since is under the new key; the old payloads still read.
      const history = await plainClient.workflow.getHandle(ticket.workflowId).fetchHistory();
      const ids = new Set((await collectKeyIds(history)).values());
      expect([...ids].sort()).to.deep.equal(['test-1', 'test-2']);
    } finally {
      await w.stop();
      initModels(t.sys.sequelize);
    }
  });
});
