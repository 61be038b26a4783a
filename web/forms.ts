// From a submitted form to a service call and back: empty fields are "not given", and the
// services' refusals (validation issues, plan rules) become plain words next to their field.
import { ZodError } from 'zod';
import { DateTime } from 'luxon';
import { httpStatusOf } from '../api/errors';
import { DomainError, isKind, isRefusal } from '../domain/errors';
import { DEFAULT_TIMEZONE } from '../domain/entitlements';
import { refusalText, translator, type Lang, type MessageKey } from '../i18n';

/** Form fields as a service body: trimmed, and left out when empty. */
export function compact(form: Record<string, unknown>, fields: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = typeof form[f] === 'string' ? (form[f] as string).trim() : '';
    if (v !== '') out[f] = v;
  }
  return out;
}

/** A datetime-local value (no zone) read in Santiago's time, as the ISO instant the API takes. */
export function localInstant(value: string | undefined, zone = DEFAULT_TIMEZONE): string | undefined {
  if (!value) return undefined;
  const dt = DateTime.fromISO(value, { zone });
  return dt.isValid ? dt.toISO()! : value;
}

export interface FormErrors {
  /** Field name → message, shown next to that field. */
  fields: Record<string, string>;
  /** A refusal that belongs to no one field (quota, no support). */
  form: string | null;
}

// Which field a plan rule's refusal is about.
const FIELD_OF: Record<string, string> = {
  TICKET_TYPE_NOT_IN_PLAN: 'type',
  END_USER_NOT_IN_PLAN: 'endUserEmail',
  UNKNOWN_PRODUCT: 'productId',
  PRODUCT_NOT_IN_FORCE: 'productId',
  UNKNOWN_REQUESTER: 'requesterEmail',
  UNKNOWN_TECHNICIAN: 'assigneeId',
  TECHNOLOGY_REQUIRED: 'technology',
};

/** Paths of the API's bodies that are spelled differently in the forms. */
const FORM_NAME: Record<string, string> = { 'endUser.email': 'endUserEmail', 'endUser.name': 'endUserName', endUser: 'endUserEmail' };

export function formErrors(err: unknown, lang: Lang, timeZone?: string): FormErrors | null {
  const t = translator(lang);
  if (err instanceof ZodError) {
    const fields: Record<string, string> = {};
    for (const i of err.issues) {
      const path = i.path.join('.');
      const name = FORM_NAME[path] ?? path;
      const key: MessageKey =
        i.code === 'too_small' || (i.code === 'invalid_type' && /undefined/.test(i.message)) ? 'new.required' : i.code === 'too_big' ? 'new.tooLong' : /email/i.test(name) && i.code === 'invalid_format' ? 'new.invalidEmail' : 'new.invalid';
      fields[name] ??= t(key);
    }
    return { fields, form: t('reason.VALIDATION_FAILED') };
  }
  // A flood limit passed is its own page (429, with Retry-After), not a remark on the form.
  if (isRefusal(err) && err.kind !== 'rate_limited') {
    const text = refusalText(lang, err, timeZone);
    if (err.code === 'VALIDATION_FAILED' && Array.isArray(err.details)) {
      const fields: Record<string, string> = {};
      for (const d of err.details as Array<{ path: string; message: string }>) fields[FORM_NAME[d.path] ?? d.path] = d.message;
      return { fields, form: text };
    }
    const field = FIELD_OF[err.code];
    return field ? { fields: { [field]: text }, form: text } : { fields: {}, form: text };
  }
  if (isKind(err, 'unavailable')) return { fields: {}, form: refusalText(lang, err, timeZone) };
  return null;
}

/** The status of a page that shows a refusal on its form: the API's for the same refusal; 400 for a form that does not validate. */
export function formStatus(err: unknown): number {
  return err instanceof DomainError ? httpStatusOf(err.kind) : 400;
}
