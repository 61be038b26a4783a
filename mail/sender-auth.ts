// Whether an inbound message's From can be believed (domain/sender-auth.ts says what that means):
// checked here with SPF, DKIM and DMARC (mailauth), or, for a message handed over by a relay we
// trust, read from that relay's own Authentication-Results header.
import { promises as dns } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { authenticate, type DNSResolver } from 'mailauth';
// mailauth's own alignment rule (organisational domains from the public suffix list), so a domain
// without a DMARC record is judged as DMARC would judge one with a relaxed record.
import { getAlignment } from 'mailauth/lib/tools';
import type { Logger } from 'pino';
import type { InboundEnvelope } from './inbound';
import { authenticatedBy, domainOf, parseAuthenticationResults, type AuthenticatedBy, type DmarcResult, type SenderEvidence } from '../domain/sender-auth';

export type { DNSResolver };

export interface SenderVerdict {
  authenticated: boolean;
  by: AuthenticatedBy | null;
  /** Where the results come from: our own checks, or the trusted relay's header. */
  via: 'checked' | 'relay';
  spf: string;
  dkim: string;
  dmarc: string;
  /** One line for the console and the log. */
  summary: string;
}

export interface SenderAuthOptions {
  /** DNS lookups (tests serve their own records); default: the system's resolver, each lookup bounded. */
  resolver?: DNSResolver;
  /** Relays (IPs, CIDR blocks) whose Authentication-Results header with authservId is believed. */
  trustedRelays?: readonly string[];
  authservId?: string;
  /** Our host name, as mailauth names the checking host. */
  mta: string;
  log: Logger;
}

export type VerifySender = (m: InboundEnvelope, from: string | null) => Promise<SenderVerdict>;

// Bounds on what one message may cost: each DNS lookup, the whole check, and the signatures looked at
// (each is a lookup and a public-key verification; a message could carry thousands).
const DNS_TIMEOUT_MS = 5_000;
const CHECK_TIMEOUT_MS = 30_000;
const MAX_DKIM_SIGNATURES = 10;

export function createSenderAuth(o: SenderAuthOptions): VerifySender {
  const resolver = o.resolver ?? boundedResolver(dns.resolve as unknown as DNSResolver, DNS_TIMEOUT_MS);
  const relays = new BlockList();
  for (const r of o.trustedRelays ?? []) {
    const [ip, bits] = r.split('/');
    const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) relays.addAddress(ip, type);
    else relays.addSubnet(ip, Number(bits), type);
  }
  const authservId = o.authservId?.toLowerCase();

  return async function verifySender(m, from) {
    const fromHeaders = m.parsed.headerLines.filter((h) => h.key === 'from').length;
    if (!from || fromHeaders !== 1) return notAuthenticated(`${fromHeaders === 0 || !from ? 'no From address' : 'more than one From header'}`);
    const ip = plainIp(m.remoteAddress);
    if (authservId && isIP(ip) && relays.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4')) {
      const verdict = fromRelayHeader(m, from, authservId);
      if (verdict) return verdict;
      o.log.warn({ relay: ip }, 'a trusted relay handed over a message without its Authentication-Results header: checked here instead');
    }
    if (m.parsed.headerLines.filter((h) => h.key === 'dkim-signature').length > MAX_DKIM_SIGNATURES) {
      return notAuthenticated(`more than ${MAX_DKIM_SIGNATURES} DKIM signatures: not checked`);
    }
    try {
      return await withTimeout(check(m, from, ip), CHECK_TIMEOUT_MS);
    } catch (err) {
      o.log.warn({ err }, 'sender authentication could not be completed');
      return notAuthenticated('the checks could not be completed (temperror)');
    }
  };

  async function check(m: InboundEnvelope, from: string, ip: string): Promise<SenderVerdict> {
    const r = await authenticate(m.raw, {
      ip,
      helo: m.helo ?? undefined,
      sender: m.envelopeFrom ?? undefined,
      mta: o.mta,
      resolver,
      disableArc: true,
      disableBimi: true,
    });
    // mailauth read the From itself; a message its parser and ours read differently is not believed.
    const headerFrom = (r.dkim.headerFrom ?? []).map((a: string) => a.toLowerCase());
    if (headerFrom.length !== 1 || headerFrom[0] !== from) return notAuthenticated('the From header is ambiguous');
    const fromDomain = domainOf(from);
    const dkimPasses = (r.dkim.results ?? []).filter((x) => x.status?.result === 'pass');
    const spfResult = r.spf ? r.spf.status.result : 'none';
    const spfDomain = r.spf && 'domain' in r.spf ? String((r.spf as { domain?: string }).domain ?? '') : '';
    const dmarc = r.dmarc ? asDmarc(r.dmarc.status.result) : 'permerror';
    const evidence: SenderEvidence = {
      dmarc,
      alignedDkimPass: dkimPasses.some((x) => Boolean(x.status?.aligned)),
      alignedSpfPass: spfResult === 'pass' && spfDomain !== '' && Boolean(getAlignment(fromDomain, [spfDomain], false)),
    };
    const dkim = dkimPasses.length ? `pass (${dkimPasses.map((x) => x.signingDomain).join(', ')})` : (r.dkim.results?.[0]?.status?.result ?? 'none');
    return verdict(evidence, 'checked', `${spfResult}${spfDomain ? ` (${spfDomain})` : ''}`, dkim, dmarc);
  }
}

/** The trusted relay's verdict: its first (topmost, so its own) Authentication-Results header with its authserv-id. */
function fromRelayHeader(m: InboundEnvelope, from: string, authservId: string): SenderVerdict | null {
  for (const h of m.parsed.headerLines) {
    if (h.key !== 'authentication-results') continue;
    const ar = parseAuthenticationResults(h.line.slice(h.line.indexOf(':') + 1));
    if (!ar || ar.authservId !== authservId) continue;
    const fromDomain = domainOf(from);
    const aligned = (domain: string | undefined) => Boolean(domain) && Boolean(getAlignment(fromDomain, [domainOf(domain!)], false));
    const dmarcRow = ar.results.find((r) => r.method === 'dmarc' && (!r.props['header.from'] || domainOf(r.props['header.from']) === fromDomain));
    const dkimPass = ar.results.filter((r) => r.method === 'dkim' && r.result === 'pass');
    const spfRow = ar.results.find((r) => r.method === 'spf');
    const evidence: SenderEvidence = {
      dmarc: dmarcRow ? asDmarc(dmarcRow.result) : 'none',
      alignedDkimPass: dkimPass.some((r) => aligned(r.props['header.d'] ?? r.props['header.i'])),
      alignedSpfPass: spfRow?.result === 'pass' && aligned(spfRow.props['smtp.mailfrom'] ?? spfRow.props['smtp.helo']),
    };
    return verdict(evidence, 'relay', spfRow?.result ?? 'none', dkimPass.length ? 'pass' : (ar.results.find((r) => r.method === 'dkim')?.result ?? 'none'), evidence.dmarc);
  }
  return null;
}

function verdict(e: SenderEvidence, via: SenderVerdict['via'], spf: string, dkim: string, dmarc: string): SenderVerdict {
  const by = authenticatedBy(e);
  const how = by === 'dmarc' ? 'DMARC pass' : by === 'dkim' ? 'aligned DKIM pass, no DMARC record' : by === 'spf' ? 'aligned SPF pass, no DMARC record' : 'not authenticated';
  return { authenticated: by !== null, by, via, spf, dkim, dmarc, summary: `${how} (SPF ${spf}; DKIM ${dkim}; DMARC ${dmarc}${via === 'relay' ? '; by the trusted relay' : ''})` };
}

function notAuthenticated(why: string): SenderVerdict {
  return { authenticated: false, by: null, via: 'checked', spf: 'none', dkim: 'none', dmarc: 'none', summary: `not authenticated: ${why}` };
}

function asDmarc(result: string): DmarcResult {
  return (['pass', 'fail', 'none', 'temperror', 'permerror'] as const).find((x) => x === result) ?? 'permerror';
}

/** An IPv4 client seen on an IPv6 socket ("::ffff:192.0.2.1") is the IPv4 address. */
function plainIp(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Each lookup answers within `ms` or fails as a DNS timeout (a temperror to SPF, DKIM and DMARC). */
export function boundedResolver(resolve: DNSResolver, ms: number): DNSResolver {
  return (name, type) => withTimeout(resolve(name, type), ms, () => Object.assign(new Error(`DNS lookup of ${name} timed out`), { code: 'ETIMEOUT' }));
}

function withTimeout<T>(p: Promise<T>, ms: number, error: () => Error = () => new Error(`timed out after ${ms} ms`)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(error()), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}
