// The settings that guard the outside edges, as the processes read them (config/index.ts): a weak
// ADMIN_TOKEN stops the start with a clear message, TRUST_PROXY names proxies or nothing, and each
// flood limit is a setting with a working default.
import { expect } from 'chai';
import { loadConfig } from '../../config';
import { DEFAULT_RATE_LIMITS } from '../../domain/rate-limits';
import { ADMIN_TOKEN } from '../support/harness';

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
  });
});
