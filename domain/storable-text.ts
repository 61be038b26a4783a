// The one rule for characters no store of ours can keep: U+0000 (Postgres refuses it in text and
// jsonb) and a UTF-16 surrogate without its pair (no encoding can write it; Node would silently turn
// it into U+FFFD on the way out). Text that carries one is refused at every edge, in the same
// words: the API and the pages (400), inbound mail (550), ops signals and Updates sent straight to
// a ticket's workflow (step_refused / VALIDATION_FAILED). Pure and linear in the input's size, so
// it runs inside the workflow sandbox and on anything a stranger sends.

export const UNSTORABLE_TEXT = 'contains a character that cannot be stored (U+0000 or an unpaired UTF-16 surrogate)';

/** True when `s` can be stored as it is. */
export function isStorableText(s: string): boolean {
  if (s.indexOf('\u0000') !== -1) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    // A high surrogate must be followed by a low one; a low one must follow a high one.
    if (c <= 0xdbff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) return false;
      i++;
    } else return false;
  }
  return true;
}

/**
 * The places in a parsed body (JSON, a form, a query, a signal's payload) whose keys or string
 * values cannot be stored, as dotted paths ('' for the value itself). Walked without recursion, so
 * a deeply nested body cannot exhaust the stack; at most `limit` paths are reported.
 */
export function unstorablePaths(value: unknown, limit = 20): string[] {
  const found: string[] = [];
  const stack: Array<{ v: unknown; path: string }> = [{ v: value, path: '' }];
  const join = (path: string, key: string | number) => (path === '' ? String(key) : `${path}.${key}`);
  while (stack.length > 0 && found.length < limit) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (!isStorableText(v)) found.push(path);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: join(path, i) });
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i];
        // A key that cannot be stored is reported under its printable neighbours' path.
        if (!isStorableText(k)) found.push(join(path, printable(k)));
        stack.push({ v: (v as Record<string, unknown>)[k], path: join(path, printable(k)) });
      }
    }
  }
  return found.slice(0, limit);
}

/** The issues of a body as the API reports them (VALIDATION_FAILED details), or null when all is storable. */
export function unstorableIssues(value: unknown, prefix?: string): Array<{ path: string; message: string }> | null {
  const paths = unstorablePaths(value);
  if (paths.length === 0) return null;
  return paths.map((p) => ({ path: prefix ? (p ? `${prefix}.${p}` : prefix) : p || '(body)', message: UNSTORABLE_TEXT }));
}

/** A key shown in a path: what cannot be stored is written as \u escapes. */
function printable(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c === 0 || (c >= 0xd800 && c <= 0xdfff) ? `\\u${c.toString(16).padStart(4, '0')}` : s[i];
  }
  return out;
}
