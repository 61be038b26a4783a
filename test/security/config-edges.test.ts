// The settings that guard the outside edges, as the processes read them (config/index.ts): a weak
// ADMIN_TOKEN stops the start with a clear message, TRUST_PROXY names proxies or nothing, and each
// flood limit is a setting with a working default.
import { expect } from 'chai';
import { DEFAULT_CODEC_LIMIT, loadConfig } from '../../config';
import { DEFAULT_RATE_LIMITS } from '../../domain/rate-limits';
import { ADMIN_TOKEN } from '../support/harness';
import { testKeyEntry } from '../support/codec';
import { runServerProcess } from '../../runtime/server-process';

const refusal = (env: NodeJS.ProcessEnv): string => {
  try {
    loadConfig(env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`accepted: ${JSON.stringify(env)}`);
};

describe('configuration of the outside edges', () => {
  it('refuses a weak ADMIN_TOKEN at startup, saying what is wrong and what to do', () => {
    const cases: Array<[string, RegExp]> = [
      ['aaaaaaaaaaaaaaaa', /ADMIN_TOKEN is too weak: it has 16 characters; at least 32 are needed/],
      ['a'.repeat(64), /only 1 different characters/],
      ['0123456789'.repeat(4), /piece of 10 characters repeated/],
      ['test-admin-token-0123456789abcdef', /10 characters in sequence/],
      ['ci-check-token-0123456789', /25 characters/],
    ];
    for (const [token, why] of cases) {
      const message = refusal({ ADMIN_TOKEN: token });
      expect(message, token).to.match(why);
      expect(message).to.contain('openssl rand -hex 24');
      // The message names the rule, never the secret.
      expect(message).to.not.contain(token);
    }
  });

  it('takes a strong ADMIN_TOKEN, and none at all (npm start then generates one)', () => {
    expect(loadConfig({ ADMIN_TOKEN }).adminToken).to.equal(ADMIN_TOKEN);
    expect(loadConfig({ ADMIN_TOKEN: 'c0ffee42' + '9a7b3e5d1f86c24b0e97a3d5f1b8c6e2' }).adminToken).to.have.length(40);
    expect(loadConfig({}).adminToken).to.equal(undefined);
  });

  it('refuses a weak or malformed TEMPORAL_CODEC_KEYS at startup, naming the key and never showing it', () => {
    const short = `k1:${Buffer.from('0123456789abcdef').toString('base64')}`;
    const phrase = `k1:${Buffer.from('our customers deserve privacy!!!').toString('base64')}`;
    for (const [keys, why] of [
      [short, /TEMPORAL_CODEC_KEYS: key "k1" is weak: it is 16 bytes/],
      [phrase, /TEMPORAL_CODEC_KEYS: key "k1" is weak: it is text/],
      ['k1=abc', /TEMPORAL_CODEC_KEYS: key number 1 is not written id:base64/],
    ] as const) {
      const message = refusal({ TEMPORAL_CODEC_KEYS: keys });
      expect(message).to.match(why).and.contain('openssl rand -base64 32');
      expect(message).to.not.contain(keys.slice(3));
    }
    expect(refusal({ TEMPORAL_CODEC_KEYS: `${testKeyEntry('a')},${testKeyEntry('b')}` })).to.match(/TEMPORAL_CODEC_KEY_ID must name the key that encrypts, one of: a, b/);
    expect(refusal({ TEMPORAL_CODEC_KEYS: testKeyEntry('a'), TEMPORAL_CODEC_KEY_ID: 'b' })).to.match(/TEMPORAL_CODEC_KEY_ID "b" is not among/);
    expect(refusal({ TEMPORAL_CODEC_KEY_ID: 'b' })).to.match(/TEMPORAL_CODEC_KEYS, which is not set/);
  });

  it('takes TEMPORAL_CODEC_KEYS with the key that encrypts, or none (npm start keeps its own)', () => {
    const c = loadConfig({ TEMPORAL_CODEC_KEYS: `${testKeyEntry('2025')},${testKeyEntry('2026')}`, TEMPORAL_CODEC_KEY_ID: '2026' });
    expect(c.temporal.codecKeys!.current).to.equal('2026');
    expect([...c.temporal.codecKeys!.keys.keys()]).to.deep.equal(['2025', '2026']);
    // Compose passes an unset TEMPORAL_CODEC_KEY_ID on as "".
    expect(loadConfig({ TEMPORAL_CODEC_KEYS: testKeyEntry('k1'), TEMPORAL_CODEC_KEY_ID: '' }).temporal.codecKeys!.current).to.equal('k1');
    expect(loadConfig({}).temporal.codecKeys).to.equal(undefined);
    // The keys are never printed with the configuration (KeyObjects serialize to nothing).
    expect(JSON.stringify(c)).to.not.contain(testKeyEntry('2026').split(':')[1]);
  });

  it('a standalone API or worker process does not start without TEMPORAL_CODEC_KEYS', async () => {
    // Everything else a server needs is named, so the keys are what stops it, before any connection.
    const server = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', TEMPORAL_ADDRESS: '127.0.0.1:1', SMTP_URL: 'smtp://127.0.0.1:1', LOG_LEVEL: 'silent', BACKGROUND_NICE: '0' };
    const saved = { ...process.env };
    Object.assign(process.env, server);
    delete process.env.TEMPORAL_CODEC_KEYS;
    try {
      for (const role of ['api', 'worker'] as const) {
        const err = await runServerProcess(role).then(() => null, (e: Error) => e);
        expect(err?.message, role).to.match(/^TEMPORAL_CODEC_KEYS is required for a standalone server process/);
      }
    } finally {
      for (const k of Object.keys(server)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it('believes no X-Forwarded-For unless TRUST_PROXY names the proxies (never every client)', () => {
    expect(loadConfig({}).trustProxy).to.equal(false);
    expect(loadConfig({ TRUST_PROXY: 'off' }).trustProxy).to.equal(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).to.equal(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8' }).trustProxy).to.deep.equal(['loopback', '10.0.0.0/8', 'fd00::/8']);
    expect(refusal({ TRUST_PROXY: 'true' })).to.match(/TRUST_PROXY: .*true.*not offered/);
    expect(refusal({ TRUST_PROXY: '10.0.0.0/8, proxy.internal' })).to.match(/proxy\.internal/);
  });

  it('has a working default for every flood limit, and reads each from its RATE_LIMIT_* variable', () => {
    expect(loadConfig({}).rateLimits).to.deep.equal(DEFAULT_RATE_LIMITS);
    const c = loadConfig({ RATE_LIMIT_FAILED_TOKENS: '10/5m', RATE_LIMIT_INTAKE_PER_CUSTOMER: '500/1d', RATE_LIMIT_END_USER_COPIES: '3/1d' });
    expect(c.rateLimits.failedTokens).to.deep.equal({ points: 10, windowS: 300 });
    expect(c.rateLimits.intakePerCustomer).to.deep.equal({ points: 500, windowS: 86_400 });
    expect(c.rateLimits.endUserCopies).to.deep.equal({ points: 3, windowS: 86_400 });
    expect(c.rateLimits.intakePerRequester).to.deep.equal(DEFAULT_RATE_LIMITS.intakePerRequester);
    expect(refusal({ RATE_LIMIT_SIGN_IN_LINKS_PER_ADDRESS: 'lots' })).to.match(/RATE_LIMIT_SIGN_IN_LINKS_PER_ADDRESS: write it as count\/window, e\.g\. 5\/15m/);
    expect(refusal({ RATE_LIMIT_INTAKE_PER_REQUESTER: '0/1h' })).to.match(/RATE_LIMIT_INTAKE_PER_REQUESTER/);
    // The codec server's, per staff member.
    expect(loadConfig({}).codecLimit).to.deep.equal(DEFAULT_CODEC_LIMIT);
    expect(loadConfig({ RATE_LIMIT_CODEC_PER_USER: '100/1m' }).codecLimit).to.deep.equal({ points: 100, windowS: 60 });
    expect(refusal({ RATE_LIMIT_CODEC_PER_USER: 'many' })).to.match(/RATE_LIMIT_CODEC_PER_USER: write it as count\/window, e\.g\. 1200\/1m/);
  });
});
