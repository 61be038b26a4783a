// What the text of an e-mail says, read the way a stranger's text must be read: in one pass, in
// time linear in its length. Everything here runs on what anyone on the internet can send to the
// inbound address (bodies, subjects, header values), so nothing here is a regular expression that
// can backtrack: lines are split once and each is looked at with indexOf and character checks.
// test/security/linear-time.test.ts holds every function here to 100 ms on a megabyte of the worst
// input we know for it; test/security/regex-audit.test.ts keeps backtracking regexes out.
import { IMPACTS, TICKET_TYPES, type Impact, type TicketType } from './plans';

const TYPE_WORDS: Record<string, TicketType> = {
  problem: 'problem', problema: 'problem', query: 'query', consulta: 'query', question: 'query',
  request: 'request', 'service request': 'request', solicitud: 'request', 'solicitud de servicio': 'request',
};
const IMPACT_KEYS = new Set(['impact', 'impacto', 'impacte']);
const TYPE_KEYS = new Set(['type', 'tipo']);

/** "Impact: A" / "Impacto: B" and "Type: query" / "Tipo: consulta" lines set what an e-mail cannot otherwise say. */
export function hintsFromBody(text: string): { impact: Impact; type: TicketType } {
  let impact: string | undefined;
  let type: string | undefined;
  // Only lines with a ':' can say anything: each is found from the colon, and the text is read once.
  let from = 0;
  while (impact === undefined || type === undefined) {
    const colon = text.indexOf(':', from);
    if (colon < 0) break;
    const start = text.lastIndexOf('\n', colon) + 1;
    let end = text.indexOf('\n', colon);
    if (end < 0) end = text.length;
    from = end + 1;
    const key = text.slice(start, colon).trim().toLowerCase();
    const value = text.slice(colon + 1, end).trim();
    // The first line of each kind that reads as one counts, as the expressions before this did.
    if (impact === undefined && IMPACT_KEYS.has(key)) {
      // One letter, and nothing of a word after it ("A", "a - critical"; not "Alto").
      const letter = value.slice(0, 1).toUpperCase();
      if ((IMPACTS as readonly string[]).includes(letter) && (value.length === 1 || !isWordChar(value.charCodeAt(1)))) impact = letter;
    } else if (type === undefined && TYPE_KEYS.has(key) && isLettersAndSpaces(value)) {
      type = value.toLowerCase();
    }
  }
  return {
    // Moderate unless told: an e-mail cannot say more, and the technician sees it at once.
    impact: (impact as Impact | undefined) ?? 'B',
    type: (type && TYPE_WORDS[type]) || (TICKET_TYPES[0] as TicketType),
  };
}

/**
 * The text a person wrote: the plain text if there is one, else the HTML's text; quoted history
 * ("On … wrote:", "El … escribió:", "-- Original Message --", "> " lines) trimmed.
 */
export function personalText(text: string | undefined, html: string | false | undefined): string {
  const body = text ?? (typeof html === 'string' ? htmlText(html) : '');
  const kept: string[] = [];
  for (const line of lines(body)) {
    if (isQuoteHeader(line)) break;
    if (!line.startsWith('>')) kept.push(line);
  }
  return kept.join('\n').trim();
}

/**
 * HTML as text: tags become spaces, the rest is kept as it is; exactly what /<[^>]+>/g replaced with
 * a space did, read in one pass: a tag runs from a '<' to the first '>' after it, with something
 * between ("<>" is text), and the text after a tag is searched from there on.
 */
export function htmlText(html: string): string {
  let out = '';
  // Text from `kept` on is not written out yet.
  let kept = 0;
  let open = html.indexOf('<');
  while (open >= 0) {
    const close = html.indexOf('>', open + 1);
    // No '>' after this '<': none after any later one either, so the rest is text.
    if (close < 0) break;
    if (close > open + 1) {
      out += html.slice(kept, open) + ' ';
      kept = close + 1;
    }
    open = html.indexOf('<', close + 1);
  }
  return out + html.slice(kept);
}

/**
 * The ticket numbers a subject names, best first: "[Ticket #12]" / "[Caso #12]" anywhere, then a
 * loose "ticket #12" / "caso # 12" that starts a word. At most one of each; no number past 15 digits.
 */
export function ticketNumbersInSubject(subject: string): string[] {
  const s = subject.toLowerCase();
  const bracketed = firstNumberAfterWord(s, true);
  const loose = firstNumberAfterWord(s, false);
  return [bracketed, loose].filter((n): n is string => n !== null);
}

/** The ticket number in one of our own Message-IDs ("<ticket-12.…@…>"), else null. */
export function ticketNumberOfOurMessageId(ref: string): string | null {
  const prefix = '<ticket-';
  if (!ref.startsWith(prefix)) return null;
  const end = digitsEnd(ref, prefix.length, 15);
  return end > prefix.length && ref[end] === '.' ? ref.slice(prefix.length, end) : null;
}

/** `s` cut to at most `max` UTF-16 units, never between the two halves of a surrogate pair. */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  const c = s.charCodeAt(max - 1);
  return s.slice(0, c >= 0xd800 && c <= 0xdbff ? max - 1 : max);
}

// ---- helpers

function lines(text: string): string[] {
  const all = text.split('\n');
  for (let i = 0; i < all.length; i++) if (all[i].endsWith('\r')) all[i] = all[i].slice(0, -1);
  return all;
}

function isQuoteHeader(line: string): boolean {
  const t = trimEndSpace(line);
  // /^On .+wrote:\s*$/ and /^El .+escribió:\s*$/: something between the opening word and the end.
  if (line.startsWith('On ') && t.endsWith('wrote:') && t.length > 'On '.length + 'wrote:'.length) return true;
  if (line.startsWith('El ') && t.endsWith('escribió:') && t.length > 'El '.length + 'escribió:'.length) return true;
  // /^-{2,}\s*Original Message\s*-{2,}/i
  let i = 0;
  while (line[i] === '-') i++;
  if (i < 2) return false;
  i = skipSpace(line, i);
  const words = 'original message';
  if (line.slice(i, i + words.length).toLowerCase() !== words) return false;
  i = skipSpace(line, i + words.length);
  return line[i] === '-' && line[i + 1] === '-';
}

/** The first "ticket #N" / "caso #N" in lower-cased `s`: after '[' and before ']' when bracketed, else at a word start and end. */
function firstNumberAfterWord(s: string, bracketed: boolean): string | null {
  // The next place of each word, searched for again only once passed: each search goes forward from
  // where the last one of the same word stopped, so the subject is read about twice in all.
  let t = s.indexOf('ticket');
  let c = s.indexOf('caso');
  for (;;) {
    if (t < 0 && c < 0) return null;
    const at = t < 0 ? c : c < 0 ? t : Math.min(t, c);
    const word = at === t ? 'ticket' : 'caso';
    if (at === t) t = s.indexOf('ticket', at + 1);
    else c = s.indexOf('caso', at + 1);
    if (bracketed ? s[at - 1] !== '[' : at > 0 && isWordChar(s.charCodeAt(at - 1))) continue;
    let i = skipSpace(s, at + word.length);
    if (s[i] !== '#') continue;
    i = skipSpace(s, i + 1);
    const end = digitsEnd(s, i, 16);
    const digits = end - i;
    if (digits < 1 || digits > 15) continue;
    if (bracketed ? s[end] !== ']' : end < s.length && isWordChar(s.charCodeAt(end))) continue;
    return s.slice(i, end);
  }
}

/** Where a run of ASCII digits starting at `i` ends, looking at no more than `max` of them. */
function digitsEnd(s: string, i: number, max: number): number {
  let j = i;
  while (j < s.length && j - i < max && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
  return j;
}

// \s of a JavaScript regular expression, so these read what the old expressions read.
function isSpace(c: number): boolean {
  return (c >= 9 && c <= 13) || c === 32 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i;
}

function trimEndSpace(s: string): string {
  let end = s.length;
  while (end > 0 && isSpace(s.charCodeAt(end - 1))) end--;
  return s.slice(0, end);
}

// \w: ASCII letters, digits and '_'.
function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

// [\p{L} -]+: letters of any script, spaces and hyphens (the words of a ticket type).
const LETTER = /^\p{L}$/u;
function isLettersAndSpaces(s: string): boolean {
  if (s.length === 0) return false;
  for (const ch of s) if (ch !== ' ' && ch !== '-' && !LETTER.test(ch)) return false;
  return true;
}
