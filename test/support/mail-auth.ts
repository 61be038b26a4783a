// Authenticated test mail: the DNS records of the tests' mail domains (DKIM keys, SPF, DMARC), served
// to the engine through its resolver hook (there is no network here), and a sender that signs each
// message with the DKIM key of its From domain, as a real mail provider would.
import { generateKeyPairSync } from 'node:crypto';
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import type { DNSResolver } from '../../mail/sender-auth';

export const SELECTOR = 'test2026';

export interface TestDomain {
  domain: string;
  privateKey: string;
  /** The key's public half as published (p= of the DKIM record). */
  publicKey: string;
}

/** A DNS zone in memory: TXT records (and A records, for SPF's a mechanism) by name. */
export class TestDns {
  private readonly txt = new Map<string, string[]>();
  private readonly a = new Map<string, string[]>();
  private readonly domains = new Map<string, TestDomain>();
  /** Lookups answered, by "TYPE name", for tests that check what was asked. */
  readonly asked: string[] = [];

  readonly resolver: DNSResolver = async (name, type) => {
    const key = name.toLowerCase().replace(/\.$/, '');
    this.asked.push(`${type} ${key}`);
    const found = type === 'TXT' ? this.txt.get(key)?.map((r) => chunks(r)) : type === 'A' ? this.a.get(key) : undefined;
    if (!found || found.length === 0) throw Object.assign(new Error(`query${type} ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return found as string[][];
  };

  setTxt(name: string, ...records: string[]): this {
    this.txt.set(name.toLowerCase(), records);
    return this;
  }

  remove(name: string): this {
    this.txt.delete(name.toLowerCase());
    return this;
  }

  /**
   * A mail domain with a DKIM key published under SELECTOR, and its SPF and DMARC records (null: none
   * published). SPF defaults to an address that is not this machine's, so only signed mail passes.
   */
  domain(domain: string, records: { spf?: string | null; dmarc?: string | null } = {}): TestDomain {
    const existing = this.domains.get(domain);
    if (existing) return existing;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const d: TestDomain = {
      domain,
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    };
    this.setTxt(`${SELECTOR}._domainkey.${domain}`, `v=DKIM1; k=rsa; p=${d.publicKey}`);
    const spf = records.spf === undefined ? 'v=spf1 ip4:192.0.2.10 -all' : records.spf;
    const dmarc = records.dmarc === undefined ? 'v=DMARC1; p=reject; adkim=r; aspf=r' : records.dmarc;
    if (spf) this.setTxt(domain, spf);
    if (dmarc) this.setTxt(`_dmarc.${domain}`, dmarc);
    this.domains.set(domain, d);
    return d;
  }

  /** The key of a domain set up with domain(). */
  keyOf(domain: string): TestDomain {
    const d = this.domains.get(domain);
    if (!d) throw new Error(`no test mail domain ${domain}: set it up with testDns.domain()`);
    return d;
  }
}

// A TXT record longer than 255 characters comes back from DNS as several strings.
function chunks(record: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < record.length; i += 255) out.push(record.slice(i, i + 255));
  return out.length ? out : [''];
}

/**
 * The zone every test system resolves with (harness.ts): customer.test (requesters' addresses),
 * elsewhere.test (strangers) and lastcall.test (staff), each with a DKIM key, DMARC p=reject, and an
 * SPF record that does not name this machine.
 */
export const testDns = new TestDns();
for (const d of ['customer.test', 'elsewhere.test', 'lastcall.test']) testDns.domain(d);

const domainOfAddress = (from: SendMailOptions['from']): string => {
  const text = (typeof from === 'string' ? from : from && typeof from === 'object' && 'address' in from ? from.address : '') ?? '';
  const address = text.includes('<') ? text.slice(text.lastIndexOf('<') + 1, text.lastIndexOf('>')) : text;
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
};

/**
 * Sends to the engine's inbound listener as a mail provider would: each message DKIM-signed with the
 * key of its From domain (testDns), unless `dkim` says otherwise (false: unsigned; a key: that key).
 */
export function authenticatedSender(smtpUrl: string, zone: TestDns = testDns, transportOptions: Record<string, unknown> = {}) {
  const transport: Transporter = nodemailer.createTransport({ url: smtpUrl, ...transportOptions } as never);
  const send = (m: SendMailOptions & { dkimWith?: TestDomain | false }) => {
    const { dkimWith, ...message } = m;
    const key = dkimWith === undefined ? zone.keyOf(domainOfAddress(message.from)) : dkimWith;
    return transport.sendMail({
      ...message,
      ...(key ? { dkim: { domainName: key.domain, keySelector: SELECTOR, privateKey: key.privateKey } } : {}),
    });
  };
  return { send, close: () => transport.close() };
}
