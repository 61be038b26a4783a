import { expect } from 'chai';
import { DEFAULT_RATE_LIMITS, LIMIT_NAMES, formatLimit, parseLimit } from '../../domain/rate-limits';
import { clientKey, isProxyEntry } from '../../domain/client-address';

describe('flood limits and client addresses (unit)', () => {
  it('reads "count/window" in seconds, minutes, hours and days, and nothing looser', () => {
    expect(parseLimit('30/15m')).to.deep.equal({ points: 30, windowS: 900 });
    expect(parseLimit('5/1h')).to.deep.equal({ points: 5, windowS: 3600 });
    expect(parseLimit('10/1d')).to.deep.equal({ points: 10, windowS: 86_400 });
    expect(parseLimit('3/4s')).to.deep.equal({ points: 3, windowS: 4 });
    for (const bad of ['', '30', '30/', '/15m', '30/15', '30/15x', '0/1h', '-1/1h', '3e1/1h', '030/1h', '30/0m', '30/1.5h', ' 30/1h', '30/1h/2', '30/m']) {
      expect(parseLimit(bad), bad).to.equal(null);
    }
  });

  it('writes every default back the way it reads it', () => {
    for (const name of LIMIT_NAMES) expect(parseLimit(formatLimit(DEFAULT_RATE_LIMITS[name]))).to.deep.equal(DEFAULT_RATE_LIMITS[name]);
    expect(formatLimit({ points: 30, windowS: 900 })).to.equal('30/15m');
    expect(formatLimit({ points: 7, windowS: 90 })).to.equal('7/90s');
  });

  it('counts an IPv4 client by its address (also written as IPv6), an IPv6 client by its /64', () => {
    expect(clientKey('203.0.113.7')).to.equal('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).to.equal('203.0.113.7');
    expect(clientKey('2001:db8:1:2:aaaa::1')).to.equal('2001:db8:1:2::/64');
    // Any host of the same /64 is the same client; the next /64 is another.
    expect(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).to.equal('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:3::1')).to.equal('2001:db8:1:3::/64');
    expect(clientKey('::1')).to.equal('0:0:0:0::/64');
    expect(clientKey(undefined)).to.equal('unknown');
    expect(clientKey('not an address')).to.equal('unknown');
  });

  it('names trusted proxies by address, CIDR range or Express range name only', () => {
    for (const ok of ['10.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1', 'loopback', 'linklocal', 'uniquelocal']) expect(isProxyEntry(ok), ok).to.equal(true);
    for (const bad of ['true', '*', 'proxy.internal', '10.0.0.0/33', '0x7f.1', '']) expect(isProxyEntry(bad), bad).to.equal(false);
  });
});
