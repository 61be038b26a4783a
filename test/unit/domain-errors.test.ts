// A service's refusal is a DomainError; the API alone turns its kind into a status (api/errors.ts),
// and the pages take the same one. The statuses here are the ones the API has always answered.
import { expect } from 'chai';
import { ERROR_KINDS, DomainError, isKind, isRefusal, notFound } from '../../domain/errors';
import { httpStatusOf, toApiError } from '../../api/errors';

describe('domain errors and their HTTP statuses (unit)', () => {
  it('gives every kind the status the API answered before services stopped speaking HTTP', () => {
    const statuses = Object.fromEntries(ERROR_KINDS.map((k) => [k, httpStatusOf(k)]));
    expect(statuses).to.deep.equal({ invalid: 400, forbidden: 403, not_found: 404, conflict: 409, unprocessable: 422, rate_limited: 429, unavailable: 503, upstream_failed: 502 });
  });

  it('keeps the code, the message and the details when the API answers one', () => {
    const e = toApiError(new DomainError('unprocessable', 'NOT_IN_PLAN', 'not on Standard', { plan: 'standard' }));
    expect({ status: e.status, code: e.code, message: e.message, details: e.details }).to.deep.equal({ status: 422, code: 'NOT_IN_PLAN', message: 'not on Standard', details: { plan: 'standard' } });
    const n = toApiError(notFound('ticket 7'));
    expect([n.status, n.code, n.message]).to.deep.equal([404, 'NOT_FOUND', 'ticket 7 not found']);
  });

  it('tells a refusal (the caller\'s to change) from our side failing now', () => {
    for (const k of ERROR_KINDS) expect(isRefusal(new DomainError(k, 'X', 'x')), k).to.equal(httpStatusOf(k) < 500);
    expect(isRefusal(new Error('x'))).to.equal(false);
    expect(isKind(new DomainError('conflict', 'TICKET_CLOSED', 'closed'), 'conflict')).to.equal(true);
    expect(isKind({ kind: 'conflict' }, 'conflict'), 'only a DomainError').to.equal(false);
  });
});
