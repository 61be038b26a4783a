// Runs in a worker thread for linear-time.test.ts, so a parser that has gone quadratic (hours on a
// megabyte) can be stopped from outside: a synchronous loop cannot be interrupted in its own thread.
// Each attack is a parser of text that outsiders send, fed ~1 MB of the worst input we know for it.
// The fastest of several runs is reported (the machine is shared; a quadratic parser loses by orders
// of magnitude, not by noise).
import { parentPort } from 'node:worker_threads';
import { clip, hintsFromBody, htmlText, personalText, ticketNumberOfOurMessageId, ticketNumbersInSubject } from '../../domain/inbound-text';
import { automatedReason } from '../../mail/loop-guard';
import { domainOf, parseAuthenticationResults } from '../../domain/sender-auth';
import { isStorableText, unstorablePaths } from '../../domain/storable-text';
import { addressOf } from '../../config';
import { bearerToken } from '../../api/auth';
import { createTicketBody, idempotencyKey, listTicketsQuery } from '../../api/schemas';
import { isUuid } from '../../services/ids';
import { redactUrl } from '../../runtime/logger';

const MB = 1 << 20;
/** linear-time.test.ts's budget per attack, in ms. */
export const BUDGET_MS = 100;
/** `unit` repeated to about a megabyte, then `tail`. */
const fill = (unit: string, tail = '') => unit.repeat(Math.ceil(MB / unit.length)) + tail;
const lines = (n: number, line: string) => Array.from({ length: n }, () => line);
const header = (key: string, value: string) => ({ key: key.toLowerCase(), line: `${key}: ${value}` });

type Attack = [name: string, prepare: () => () => unknown];
/** An attack: the input is built first (not timed), then `parse` runs on it (timed). */
const on = (name: string, parse: (...args: never[]) => unknown, input: () => unknown[]): Attack => [
  name,
  () => {
    const args = input();
    return () => (parse as (...a: unknown[]) => unknown)(...args);
  },
];

export const ATTACKS: Attack[] = [
  // hintsFromBody: ^\s* under /m crossed newlines (quadratic), and \s* next to [\p{L} -]+ (cubic).
  on('hintsFromBody: newlines', hintsFromBody, () => [fill('\n', 'x')]),
  on('hintsFromBody: spaces and newlines', hintsFromBody, () => [fill(' \n\t\r')]),
  on('hintsFromBody: "tipo:" then spaces', hintsFromBody, () => ['tipo:' + fill(' ', '!')]),
  on('hintsFromBody: "impact:" then spaces', hintsFromBody, () => ['impact:' + fill(' ', 'z')]),
  on('hintsFromBody: every line a near miss', hintsFromBody, () => [fill('Impacto: Alto\nTipo: consulta 1\n')]),
  on('hintsFromBody: one long key', hintsFromBody, () => [fill('impact', ':A')]),
  // The quoted-history trim and HTML to text.
  on('personalText: "On " without "wrote:"', personalText, () => ['On ' + fill('x'), undefined]),
  on('personalText: "On … wrote:" repeated', personalText, () => ['On ' + fill('wrote: '), undefined]),
  on('personalText: dashes', personalText, () => [fill('-'), undefined]),
  on('personalText: dashes, spaces, no "Original"', personalText, () => ['--' + fill(' ', 'Original Messag'), undefined]),
  on('personalText: quote marks', personalText, () => [fill('>\n'), undefined]),
  on('personalText: html of unclosed tags', personalText, () => [undefined, fill('<')]),
  on('personalText: html of open-tag starts', personalText, () => [undefined, fill('<a')]),
  on('htmlText: "<" then text', htmlText, () => [fill('<', 'x')]),
  on('htmlText: many short tags', htmlText, () => [fill('<b>x')]),
  on('htmlText: "<>"', htmlText, () => [fill('<>')]),
  // Subjects and thread matching.
  on('ticketNumbersInSubject: "ticket" repeated', ticketNumbersInSubject, () => [fill('ticket')]),
  on('ticketNumbersInSubject: "[ticket #" and digits', ticketNumbersInSubject, () => ['[ticket #' + fill('1')]),
  on('ticketNumbersInSubject: "ticket" then spaces', ticketNumbersInSubject, () => ['ticket' + fill(' ', 'x')]),
  on('ticketNumbersInSubject: "[caso #1" repeated', ticketNumbersInSubject, () => [fill('[caso #1 ')]),
  on('ticketNumbersInSubject: "ticket #" then spaces', ticketNumbersInSubject, () => [fill('ticket # ', 'x')]),
  on('ticketNumberOfOurMessageId: digits', ticketNumberOfOurMessageId, () => ['<ticket-' + fill('1')]),
  on('clip: a megabyte of surrogate pairs', clip, () => [fill('😀'), MB / 2 + 1]),
  // The loop guard, on a megabyte of headers.
  on('automatedReason: Return-Path of spaces', automatedReason, () => [[header('Return-Path', '<' + fill(' ', 'x'))], 'a@b.test', 'a@b.test']),
  on('automatedReason: Content-Type near misses', automatedReason, () => [[header('Content-Type', fill('multipart/repor'))], 'a@b.test', 'a@b.test']),
  on('automatedReason: 50 000 header lines', automatedReason, () => [lines(50_000, 'x').map((_, i) => header(`X-H${i}`, 'mailer-daemon')), 'a@b.test', fill('mailer-daemo')]),
  on('automatedReason: Auto-Submitted of a megabyte', automatedReason, () => [[header('Auto-Submitted', fill('auto-replied;'))], 'a@b.test', 'a@b.test']),
  // A trusted relay's Authentication-Results header.
  on('parseAuthenticationResults: nested comments', parseAuthenticationResults, () => ['mx; ' + fill('(')]),
  on('parseAuthenticationResults: quotes', parseAuthenticationResults, () => ['mx; dkim=' + fill('"\\')]),
  on('parseAuthenticationResults: a=b tokens', parseAuthenticationResults, () => ['mx; dkim=pass ' + fill('a = ')]),
  on('parseAuthenticationResults: semicolons', parseAuthenticationResults, () => ['mx' + fill('; spf=pass')]),
  on('domainOf: @ repeated', domainOf, () => [fill('@')]),
  on('addressOf: "<" repeated', addressOf, () => [fill('<')]),
  // The API's and the pages' own checks of what a caller sends. What reaches them is bounded before
  // they run: a JSON or form body by 100 kB (api/app.ts, web/index.ts), a query by Node's 16 kB
  // header limit. Those are the sizes used where an attack builds a whole body or query.
  on('isStorableText: lone surrogates near misses', isStorableText, () => [fill('\ud83d\ude00a')]),
  on('unstorablePaths: 100 kB of keys', unstorablePaths, () => [Object.fromEntries(lines(8_000, '').map((_, i) => [`k${i}`, 'v']))]),
  on('unstorablePaths: deep nesting', unstorablePaths, () => [lines(100_000, '').reduce<unknown>((inner) => [inner], 'x')]),
  on('bearerToken: spaces', bearerToken, () => ['Bearer ' + fill(' ', 'x y')]),
  on('bearerToken: token then spaces', bearerToken, () => ['Bearer x' + fill(' ', '!')]),
  on('createTicketBody: e-mail shaped', createTicketBody.safeParse, () => [{ type: 'problem', impact: 'A', subject: 's', description: 'd', endUser: { email: fill('a.', '@') } }]),
  on('createTicketBody: long texts', createTicketBody.safeParse, () => [{ type: 'problem', impact: 'A', subject: fill('s'), description: fill('d '), endUser: { email: 'a@' + fill('a.', '!') } }]),
  on('idempotencyKey: near miss', idempotencyKey.safeParse, () => [fill('a', ' ')]),
  on('listTicketsQuery: long values (16 kB)', listTicketsQuery.safeParse, () => [{ status: 'open,'.repeat(1600), plan: 'x'.repeat(8 * 1024) }]),
  on('isUuid: near miss', isUuid, () => [fill('0-', 'x')]),
  // A request line is at most Node's HTTP header limit (16 kB) long: that, not a megabyte, is what reaches it.
  on('redactUrl: sign-in link and tokens (16 kB)', redactUrl, () => ['/sign-in/link/' + 'a?token=&'.repeat(16 * 1024 / 9)]),
];

if (parentPort) {
  const port = parentPort;
  for (const [name, build] of ATTACKS) {
    port.postMessage({ type: 'start', name });
    const attack = build();
    // The fastest of three runs, and up to ten while none was within the budget: a test run shares
    // two cores with a Temporal server and other test files, and a collection can stall one run. A
    // linear parser gets under the budget on a quiet run; a quadratic one never does.
    let best = Infinity;
    for (let i = 0; i < 3 || (best > BUDGET_MS && i < 10); i++) {
      const t0 = performance.now();
      attack();
      best = Math.min(best, performance.now() - t0);
    }
    port.postMessage({ type: 'done', name, ms: best });
  }
  port.postMessage({ type: 'end' });
}
