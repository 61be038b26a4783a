// What an e-mail's text says (domain/inbound-text.ts) and when its sender is believed
// (domain/sender-auth.ts): pure rules, read in linear time (test/security/linear-time.test.ts times them).
import { expect } from 'chai';
import { clip, hintsFromBody, htmlText, personalText, ticketNumberOfOurMessageId, ticketNumbersInSubject } from '../../domain/inbound-text';
import { authenticatedBy, parseAuthenticationResults } from '../../domain/sender-auth';

describe('inbound mail text (unit)', () => {
  it('reads impact and type lines, each line on its own (a colon on the next line is not the same line)', () => {
    expect(hintsFromBody('  Impacto : a - crítico\nTipo: solicitud de servicio')).to.deep.equal({ impact: 'A', type: 'request' });
    expect(hintsFromBody('Impact: Alto\nImpact: c')).to.deep.equal({ impact: 'C', type: 'problem' });
    expect(hintsFromBody('Type: query 2\ntype: consulta')).to.deep.equal({ impact: 'B', type: 'query' });
    // The old /m expressions let \s cross lines: "Impact:\nA" read as impact A.
    expect(hintsFromBody('Impact:\nA')).to.deep.equal({ impact: 'B', type: 'problem' });
    expect(hintsFromBody('impact\r\n: A\r\n')).to.deep.equal({ impact: 'B', type: 'problem' });
    expect(hintsFromBody('Impacte: b\r\nTipo: Consulta\r\n')).to.deep.equal({ impact: 'B', type: 'query' });
  });

  it('keeps what a person wrote: plain text, else the HTML\'s text, without quoted history', () => {
    expect(personalText('Hola\n> citado\nSigue\nOn Mon, Ana <a@b> wrote:\n> old', undefined)).to.equal('Hola\nSigue');
    expect(personalText('Nuevo\nEl lun, Ana escribió:\nviejo', undefined)).to.equal('Nuevo');
    expect(personalText('Top\n----- Original Message -----\nold', undefined)).to.equal('Top');
    expect(personalText('On wrote:\nkept', undefined)).to.equal('On wrote:\nkept');
    expect(personalText(undefined, '<p>Hi <b>there</b></p>')).to.equal('Hi  there');
  });

  it('turns HTML into text as /<[^>]+>/g did: tags to spaces, "<>" and an unclosed "<" kept', () => {
    for (const html of ['<a>b', 'a<>b', 'x<y', '<<a>b>', 'a<b<c>d', '<>>', '<a\n>b', '', '>>'] as const) {
      expect(htmlText(html), html).to.equal(html.replace(/<[^>]+>/g, ' '));
    }
  });

  it('finds ticket numbers in a subject: bracketed first, then a loose one at a word start', () => {
    expect(ticketNumbersInSubject('Re: [Ticket #12] Resolved')).to.deep.equal(['12', '12']);
    expect(ticketNumbersInSubject('Más datos [Caso # 7] y ticket #8')).to.deep.equal(['7', '7']);
    expect(ticketNumbersInSubject('ticket #8 y [caso #7]')).to.deep.equal(['7', '8']);
    expect(ticketNumbersInSubject('see ticket#9.')).to.deep.equal(['9']);
    expect(ticketNumbersInSubject('myticket #9 and ticket #1234567890123456')).to.deep.equal([]);
    expect(ticketNumbersInSubject('[ticket #12 ] x')).to.deep.equal(['12']);
    expect(ticketNumberOfOurMessageId('<ticket-42.received@lastcall.test>')).to.equal('42');
    expect(ticketNumberOfOurMessageId('<ticket-42@x>')).to.equal(null);
  });

  it('cuts text without splitting a surrogate pair', () => {
    expect(clip('ab😀', 3)).to.equal('ab');
    expect(clip('ab😀', 4)).to.equal('ab😀');
    expect(clip('abc', 2)).to.equal('ab');
  });
});

describe('sender authentication rule (unit)', () => {
  it('believes DMARC pass; without a DMARC record, an aligned DKIM or SPF pass; nothing else', () => {
    expect(authenticatedBy({ dmarc: 'pass', alignedDkimPass: false, alignedSpfPass: false })).to.equal('dmarc');
    expect(authenticatedBy({ dmarc: 'none', alignedDkimPass: true, alignedSpfPass: false })).to.equal('dkim');
    expect(authenticatedBy({ dmarc: 'none', alignedDkimPass: false, alignedSpfPass: true })).to.equal('spf');
    expect(authenticatedBy({ dmarc: 'none', alignedDkimPass: false, alignedSpfPass: false })).to.equal(null);
    // A published policy that fails is not overridden by anything else, nor is one that could not be read.
    expect(authenticatedBy({ dmarc: 'fail', alignedDkimPass: true, alignedSpfPass: true })).to.equal(null);
    expect(authenticatedBy({ dmarc: 'temperror', alignedDkimPass: true, alignedSpfPass: true })).to.equal(null);
    expect(authenticatedBy({ dmarc: 'permerror', alignedDkimPass: true, alignedSpfPass: true })).to.equal(null);
  });

  it('reads a relay\'s Authentication-Results header (RFC 8601), comments and quoting included', () => {
    const ar = parseAuthenticationResults(' MX.LastCall.test 1; spf=pass (sender ok) smtp.mailfrom=ana@customer.test;\r\n dkim=pass header.d=customer.test header.s="s1";\r\n dmarc=pass (p=REJECT) header.from = customer.test');
    expect(ar).to.deep.equal({
      authservId: 'mx.lastcall.test',
      results: [
        { method: 'spf', result: 'pass', props: { 'smtp.mailfrom': 'ana@customer.test' } },
        { method: 'dkim', result: 'pass', props: { 'header.d': 'customer.test', 'header.s': 's1' } },
        { method: 'dmarc', result: 'pass', props: { 'header.from': 'customer.test' } },
      ],
    });
    expect(parseAuthenticationResults('mx.test; none')?.results).to.deep.equal([]);
    expect(parseAuthenticationResults('(only a comment); dkim=pass')).to.equal(null);
    expect(parseAuthenticationResults('mx.test; dkim=pass (a; b) header.d="x;y"')?.results).to.deep.equal([{ method: 'dkim', result: 'pass', props: { 'header.d': 'x;y' } }]);
  });
});
