// The settings that guard the outside edges, as the processes read them (config/index.ts): a weak
// ADMIN_TOKEN stops the start with a clear message.
import { expect } from 'chai';
import { loadConfig } from '../../config';
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
});
