// Who a client is, for the limits counted per client address: the address the request came from
// (the socket's, or what a trusted proxy says; see TRUST_PROXY), reduced to what one party controls.
// An IPv6 host picks any address in its /64 at will, so a /64 counts as one client; an IPv4 address
// written as IPv6 (::ffff:192.0.2.1, a dual-stack socket) is that IPv4 address.
import ipaddr from 'ipaddr.js';

/** The key a client address is counted under; "unknown" when there is none (a socket already gone). */
export function clientKey(address: string | undefined): string {
  if (!address || !ipaddr.isValid(address)) return 'unknown';
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  return `${v6.parts.slice(0, 4).map((p) => p.toString(16)).join(':')}::/64`;
}

/** Which proxies' X-Forwarded-For to believe (Express `trust proxy`): none, a hop count, or addresses, CIDR ranges and range names. */
export type TrustProxy = false | number | string[];

/** Express's own names for the private ranges, besides addresses and CIDR ranges. */
const RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** Whether `entry` names proxies Express can trust: an address, a CIDR range, or a range name. */
export function isProxyEntry(entry: string): boolean {
  const { IPv4, IPv6 } = ipaddr;
  // Dotted quads only: ipaddr also reads "0x7f.1", which Express's own parser would not.
  return RANGE_NAMES.includes(entry) || IPv4.isValidFourPartDecimal(entry) || IPv4.isValidCIDRFourPartDecimal(entry) || IPv6.isValid(entry) || IPv6.isValidCIDR(entry);
}
