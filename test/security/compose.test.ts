// docker-compose.yml as an outsider meets it: only the pages/API and inbound mail answer on the
// network; Temporal (no authorization on its frontend), its UI, the mail catcher (every sign-in
// link), Prometheus and Grafana stay on the compose network or the host's loopback; no well-known
// password is ever filled in for the operator. Read through `docker compose config` (no engine
// needed), so the file is judged as Compose itself resolves it.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const SECRETS = {
  ADMIN_TOKEN: 'compose-check-Xq7v2Lm9Pz4Rt8Wk3Nb6Hd1Jf5Gs0Yc',
  POSTGRES_PASSWORD: 'compose-check-pg-Vb8Nq2Lx5Tz9',
  GRAFANA_ADMIN_PASSWORD: 'compose-check-grafana-Hy3Pk7Wd',
  TEMPORAL_CODEC_KEYS: 'compose-check:HDVcwwlxldC/k/Y9uF5RXmV3ypxHXZRFCt2MFXzoNY4=',
};
/** Ports any network may reach: the pages and API, and inbound SMTP. */
const PUBLIC = new Set(['api:3000', 'api:2525']);

interface ComposePort {
  host_ip?: string;
  published?: string;
  target: number;
}
interface ComposeService {
  ports?: ComposePort[];
  environment?: Record<string, string | null>;
}

function compose(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in SECRETS)));
  return spawnSync('docker', ['compose', '-f', 'docker-compose.yml', 'config', '--format', 'json'], { cwd: ROOT, env: { ...clean, ...env }, encoding: 'utf8' });
}

describe('security: docker-compose.yml publishes only the app', function () {
  let services: Record<string, ComposeService>;

  before(function () {
    // CI installs it (scripts/ensure-compose.sh) before the tests; elsewhere the check says why it cannot run.
    if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status !== 0) {
      this.skip();
    }
    const r = compose(SECRETS);
    if (r.status !== 0) throw new Error(`docker compose config failed: ${r.stderr}`);
    services = JSON.parse(r.stdout).services;
  });

  it('only the API and inbound SMTP listen on every interface; the rest on loopback or nowhere', () => {
    const exposed: string[] = [];
    for (const [name, svc] of Object.entries(services)) {
      for (const p of svc.ports ?? []) {
        const id = `${name}:${p.target}`;
        const everywhere = !p.host_ip || p.host_ip === '0.0.0.0' || p.host_ip === '::';
        if (everywhere) exposed.push(id);
        else expect(p.host_ip, `${id} published on ${p.host_ip}`).to.be.oneOf(['127.0.0.1', '::1']);
      }
    }
    expect(exposed.sort()).to.deep.equal([...PUBLIC].sort());
    // The ones that answer anybody: Temporal's services (the frontend publishes), the UI, the
    // catcher, Prometheus, Grafana, Postgres.
    const temporal = Object.keys(services).filter((name) => name.startsWith('temporal'));
    expect(temporal, "Temporal's services").to.include.members(['temporal-frontend', 'temporal-ui']);
    for (const name of [...temporal, 'mail', 'prometheus', 'grafana', 'postgres']) {
      for (const p of services[name]?.ports ?? []) expect(p.host_ip, `${name}:${p.target}`).to.equal('127.0.0.1');
    }
  });

  it('metrics are scraped on the compose network, not served on the public port', () => {
    expect(services.api.environment?.METRICS_PORT).to.equal('9464');
    expect((services.api.ports ?? []).map((p) => p.target)).to.not.include(9464);
  });

  it('the payload codec\'s keys reach the engine\'s processes only; the UI calls the codec server with the browser\'s session', () => {
    for (const [name, svc] of Object.entries(services)) {
      const has = svc.environment?.TEMPORAL_CODEC_KEYS !== undefined;
      expect(has, `${name} holds TEMPORAL_CODEC_KEYS`).to.equal(['api', 'api-replica', 'worker'].includes(name));
    }
    expect(services.api.environment?.TEMPORAL_CODEC_KEYS).to.equal(SECRETS.TEMPORAL_CODEC_KEYS);
    expect(services['temporal-ui'].environment?.TEMPORAL_CODEC_ENDPOINT).to.equal(`${services.api.environment?.PUBLIC_URL}/codec`);
    expect(services['temporal-ui'].environment?.TEMPORAL_CODEC_INCLUDE_CREDENTIALS).to.equal('true');
    // The codec server answers browsers from the UI's origin only: the one the UI is published at.
    expect(new URL(services.api.environment!.TEMPORAL_UI_URL!).port).to.equal(String(services['temporal-ui'].ports![0].published));
  });

  it('refuses to start without the operator\'s own secrets: no default admin token or password', () => {
    for (const missing of Object.keys(SECRETS)) {
      const env = Object.fromEntries(Object.entries(SECRETS).filter(([k]) => k !== missing));
      const r = compose(env);
      expect(r.status, `config without ${missing}`).to.not.equal(0);
      expect(r.stderr).to.contain(missing);
    }
    expect(services.grafana.environment?.GF_SECURITY_ADMIN_PASSWORD).to.equal(SECRETS.GRAFANA_ADMIN_PASSWORD);
    expect(services.grafana.environment?.GF_AUTH_ANONYMOUS_ENABLED).to.equal('false');
    expect(services.postgres.environment?.POSTGRES_PASSWORD).to.equal(SECRETS.POSTGRES_PASSWORD);
    for (const svc of Object.values(services)) {
      for (const [k, v] of Object.entries(svc.environment ?? {})) {
        expect(`${k}=${v}`).to.not.match(/(?:PASSWORD|PWD)=(?:admin|lastcall|postgres|password)$/i);
      }
    }
  });
});
