// docker-compose.yml describes what npm run start:cluster runs here: the same releases, the same
// server settings, the same schema steps and dynamic config, the same processes, scalable. Both
// read ops/temporal/cluster.env; this checks that each still does, through `docker compose config`
// (no engine needed) on one side and the local cluster's own code on the other.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../config';
import { clusterSettings } from '../../runtime/temporal-binary';
import { TEMPORAL_SERVICES, portLayout, serverEnvironment, uiEnvironment } from '../../runtime/temporal-cluster';

const ROOT = path.resolve(__dirname, '../..');
const SECRETS = {
  ADMIN_TOKEN: 'compose-check-Xq7v2Lm9Pz4Rt8Wk3Nb6Hd1Jf5Gs0Yc',
  POSTGRES_PASSWORD: 'compose-check-pg-Vb8Nq2Lx5Tz9',
  GRAFANA_ADMIN_PASSWORD: 'compose-check-grafana-Hy3Pk7Wd',
  TEMPORAL_CODEC_KEYS: 'compose-check:HDVcwwlxldC/k/Y9uF5RXmV3ypxHXZRFCt2MFXzoNY4=',
};

interface ComposeService {
  image?: string;
  container_name?: string;
  entrypoint?: string[];
  environment?: Record<string, string | null>;
  ports?: Array<{ target: number; published?: string }>;
  volumes?: Array<{ source?: string; target: string }>;
  deploy?: { replicas?: number };
}

describe('docker-compose.yml and npm run start:cluster agree', function () {
  this.timeout(30_000);
  let services: Record<string, ComposeService>;
  const settings = clusterSettings();

  before(function () {
    // CI installs it (scripts/ensure-compose.sh) before the tests; elsewhere the check says why it cannot run.
    if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status !== 0) this.skip();
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in SECRETS)));
    const r = spawnSync('docker', ['compose', '-f', 'docker-compose.yml', 'config', '--format', 'json'], { cwd: ROOT, env: { ...clean, ...SECRETS }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`docker compose config failed: ${r.stderr}`);
    services = JSON.parse(r.stdout).services;
  });

  const servers = TEMPORAL_SERVICES.map((s) => `temporal-${s}`);

  it('the same releases: the official server image, its admin-tools and the UI at the pinned versions; no auto-setup', async () => {
    for (const name of servers) expect(services[name]?.image, name).to.equal(`temporalio/server:${settings.TEMPORAL_SERVER_VERSION}`);
    expect(services['temporal-ui'].image).to.equal(`temporalio/ui:${settings.TEMPORAL_UI_VERSION}`);
    // admin-tools tags carry the server release first (its SQL tool and schemas), then the CLIs'.
    expect(services['temporal-schema'].image).to.equal(`temporalio/admin-tools:${settings.TEMPORAL_ADMIN_TOOLS_TAG}`);
    expect(settings.TEMPORAL_ADMIN_TOOLS_TAG.split('-')[0]).to.equal(settings.TEMPORAL_SERVER_VERSION);
    for (const [name, svc] of Object.entries(services)) expect(svc.image ?? '', name).to.not.match(/auto-setup/);
    // What the local cluster builds and runs: the same pins (scripts/ensure-temporal-cluster.mjs).
    const mod = (await import(path.join(ROOT, 'scripts', 'ensure-temporal-cluster.mjs'))) as { SERVER_VERSION: string; UI_VERSION: string };
    expect(mod.SERVER_VERSION).to.equal(`v${settings.TEMPORAL_SERVER_VERSION}`);
    expect(mod.UI_VERSION).to.equal(`v${settings.TEMPORAL_UI_VERSION}`);
  });

  it('the same server settings: each Temporal container gets what the local processes get, and runs one service', () => {
    const config = loadConfig({});
    const local = serverEnvironment({ settings, postgres: { host: 'h', port: 5432, user: 'u', password: 'p' }, ports: portLayout(config.temporal.port, config.temporal.uiPort) });
    for (const [k, v] of Object.entries(settings)) expect(local[k], `local ${k}`).to.equal(v);
    for (const [i, name] of servers.entries()) {
      const env = services[name].environment ?? {};
      // Everything of cluster.env, as the template reads it.
      for (const [k, v] of Object.entries(settings)) expect(env[k], `${name} ${k}`).to.equal(v);
      expect(env.SERVICES, name).to.equal(TEMPORAL_SERVICES[i]);
      // The variables the local cluster sets per machine, set here per compose network.
      for (const k of ['POSTGRES_SEEDS', 'DB_PORT', 'VISIBILITY_DB_PORT', 'POSTGRES_USER', 'POSTGRES_PWD', 'DYNAMIC_CONFIG_FILE_PATH']) {
        expect(env[k], `${name} ${k}`).to.be.a('string').and.not.equal('');
        expect(local[k], `local ${k}`).to.be.a('string');
      }
      expect(env.DB_PORT, name).to.equal(env.VISIBILITY_DB_PORT);
      expect(env.POSTGRES_PWD, name).to.equal(SECRETS.POSTGRES_PASSWORD);
    }
  });

  it('the same dynamic config file and the same schema steps', () => {
    const local = serverEnvironment({ settings, postgres: { host: 'h', port: 1, user: 'u', password: 'p' }, ports: portLayout(7233, 8233) });
    expect(local.DYNAMIC_CONFIG_FILE_PATH).to.equal(path.join(ROOT, 'ops', 'temporal', 'dynamicconfig.yaml'));
    for (const name of servers) {
      const svc = services[name];
      const mount = svc.volumes?.find((v) => v.target === svc.environment?.DYNAMIC_CONFIG_FILE_PATH);
      expect(mount?.source, `${name} mounts the dynamic config`).to.equal(local.DYNAMIC_CONFIG_FILE_PATH);
    }
    const schema = services['temporal-schema'];
    const script = schema.volumes?.find((v) => v.source === path.join(ROOT, 'ops', 'temporal', 'setup-schema.sh'));
    expect(script, 'the schema job runs ops/temporal/setup-schema.sh').to.not.equal(undefined);
    expect(schema.entrypoint).to.deep.equal(['sh', script!.target]);
    for (const [k, v] of Object.entries(settings)) expect(schema.environment?.[k], `temporal-schema ${k}`).to.equal(v);
  });

  it('the same processes, scalable: workers and API replicas as many as the local cluster runs, none named or published', () => {
    const { cluster } = loadConfig({});
    expect(services.worker.deploy?.replicas, 'worker replicas').to.equal(cluster.workers);
    // api is the one the network reaches (and the inbound mail listener); api-replica scales.
    expect(1 + (services['api-replica'].deploy?.replicas ?? 1), 'API processes').to.equal(cluster.apis);
    for (const name of ['worker', 'api-replica']) {
      expect(services[name].container_name, name).to.equal(undefined);
      expect(services[name].ports ?? [], name).to.deep.equal([]);
    }
    expect(services.api.environment?.INBOUND_SMTP).to.equal('on');
    expect(services['api-replica'].environment?.INBOUND_SMTP).to.equal('off');
    for (const name of ['api', 'api-replica', 'worker']) expect(services[name].environment?.TEMPORAL_ADDRESS, name).to.equal('temporal-frontend:7233');
  });

  it("the same UI settings for the codec server: the API's /codec, called with the browser's session", () => {
    const local = uiEnvironment({ ports: portLayout(7233, 8080), namespace: 'default', codecEndpoint: `${services.api.environment?.PUBLIC_URL}/codec` }, 'temporal-frontend:7233');
    for (const k of ['TEMPORAL_CODEC_ENDPOINT', 'TEMPORAL_CODEC_INCLUDE_CREDENTIALS']) expect(services['temporal-ui'].environment?.[k], k).to.equal(local[k]);
  });
});
