// When an e-mail's From is believed: the one definition of "authenticated sender", and the reading of
// a trusted relay's Authentication-Results header (RFC 8601). Pure and linear in the input.
//
// A message is authenticated when its From domain vouches for it:
//   1. DMARC passes for the From domain (RFC 7489: an SPF or DKIM pass aligned with it, under the
//      domain's own alignment rules); or
//   2. the From domain publishes no DMARC record at all, and a DKIM signature of the From's
//      organisational domain verifies, or SPF passes for a MAIL FROM of that organisational domain
//      (the same relaxed alignment DMARC would have asked for).
// Anything else is not: DMARC fail (whatever the domain's p=, none included), a DMARC record that
// could not be read (temperror, permerror), a message with no From or more than one, an unaligned
// pass (a signature of some other domain proves nothing about the From).

export type DmarcResult = 'pass' | 'fail' | 'none' | 'temperror' | 'permerror';

export interface SenderEvidence {
  /** DMARC for the From domain; 'none' only when the domain publishes no record. */
  dmarc: DmarcResult;
  /** A DKIM signature that verified, of the From's organisational domain. */
  alignedDkimPass: boolean;
  /** SPF passed for a MAIL FROM of the From's organisational domain. */
  alignedSpfPass: boolean;
}

export type AuthenticatedBy = 'dmarc' | 'dkim' | 'spf';

/** How the From is authenticated, or null when it is not. */
export function authenticatedBy(e: SenderEvidence): AuthenticatedBy | null {
  if (e.dmarc === 'pass') return 'dmarc';
  if (e.dmarc !== 'none') return null;
  if (e.alignedDkimPass) return 'dkim';
  if (e.alignedSpfPass) return 'spf';
  return null;
}

export interface AuthResult {
  /** Lower case: spf, dkim, dmarc, arc… */
  method: string;
  /** Lower case: pass, fail, none… */
  result: string;
  /** ptype.property → value, lower-case keys (header.d, header.from, smtp.mailfrom…). */
  props: Record<string, string>;
}

export interface AuthenticationResults {
  authservId: string;
  results: AuthResult[];
}

/**
 * One Authentication-Results header value: "mx.example.net; spf=pass smtp.mailfrom=a.test;
 * dkim=pass (good) header.d=a.test; dmarc=pass header.from=a.test". Comments and quoted strings are
 * honoured; null when there is no authserv-id, or for a header far longer than any relay writes.
 */
// A relay writes a handful of results of a few properties each; what is past these bounds is not read.
const MAX_RESULTS = 50;
const MAX_HEADER_CHARS = 16 * 1024;
const MAX_TOKENS = 100;

export function parseAuthenticationResults(value: string): AuthenticationResults | null {
  if (value.length > MAX_HEADER_CHARS) return null;
  const parts = splitOutsideQuotes(withoutComments(value), 59 /* ; */);
  const authservId = firstToken(parts[0] ?? '');
  if (!authservId) return null;
  const results: AuthResult[] = [];
  for (const part of parts.slice(1, 1 + MAX_RESULTS)) {
    const tokens = tokensOf(part);
    const head = tokens[0];
    const eq = head?.indexOf('=') ?? -1;
    if (!head || eq <= 0) continue;
    const method = head.slice(0, eq).split('/')[0].toLowerCase();
    const result = unquote(head.slice(eq + 1)).toLowerCase();
    const props: Record<string, string> = {};
    for (const t of tokens.slice(1)) {
      const i = t.indexOf('=');
      if (i > 0) props[t.slice(0, i).toLowerCase()] = unquote(t.slice(i + 1));
    }
    results.push({ method, result, props });
  }
  return { authservId: authservId.toLowerCase(), results };
}

/** The domain of an address or a bare domain, lower case ("Ana <a@X.test>" is not handled: addresses only). */
export function domainOf(addressOrDomain: string): string {
  return addressOrDomain.slice(addressOrDomain.lastIndexOf('@') + 1).trim().toLowerCase();
}

// ---- RFC 8601 lexing: comments are (…) and may nest, quoted strings are "…", both with \ escapes.
// Built from slices and joined once: no string grows character by character.

function withoutComments(s: string): string {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH && (quoted || depth > 0)) i++;
    else if (depth > 0) {
      if (c === OPEN) depth++;
      else if (c === CLOSE && --depth === 0) {
        out.push(' ');
        from = i + 1;
      }
    } else if (c === QUOTE) quoted = !quoted;
    else if (c === OPEN && !quoted) {
      out.push(s.slice(from, i));
      depth = 1;
    }
  }
  if (depth === 0) out.push(s.slice(from));
  return out.join('');
}

function splitOutsideQuotes(s: string, sep: number): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH && quoted) i++;
    else if (c === QUOTE) quoted = !quoted;
    else if (c === sep && !quoted) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 13 || c === 10;

/** Whitespace-separated tokens, outside quotes; "a = b" is read as "a=b", as senders fold them. At most MAX_TOKENS are read. */
function tokensOf(s: string): string[] {
  const tokens: string[] = [];
  let read = 0;
  let quoted = false;
  let start = -1;
  // Set when the last token ended in '=' (or the next starts with it): the two are one.
  let joinNext = false;
  const push = (end: number) => {
    const t = s.slice(start, end);
    if (tokens.length > 0 && (joinNext || t.charCodeAt(0) === EQUALS)) tokens[tokens.length - 1] += t;
    else tokens.push(t);
    joinNext = t.charCodeAt(t.length - 1) === EQUALS;
    start = -1;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (start < 0 && !isSpace(c)) start = i;
    if (c === BACKSLASH && quoted) i++;
    else if (c === QUOTE) quoted = !quoted;
    else if (isSpace(c) && !quoted && start >= 0) {
      push(i);
      if (++read >= MAX_TOKENS) return tokens;
    }
  }
  if (start >= 0) push(s.length);
  return tokens;
}

function firstToken(s: string): string {
  return tokensOf(s)[0] ?? '';
}

function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== QUOTE || s.charCodeAt(s.length - 1) !== QUOTE) return s;
  const out: string[] = [];
  let from = 1;
  for (let i = 1; i < s.length - 1; i++) {
    if (s.charCodeAt(i) === BACKSLASH) {
      out.push(s.slice(from, i));
      from = ++i;
    }
  }
  out.push(s.slice(from, s.length - 1));
  return out.join('');
}

const BACKSLASH = 92;
const QUOTE = 34;
const OPEN = 40;
const CLOSE = 41;
const EQUALS = 61;
