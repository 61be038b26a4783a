// A browser without a browser: keeps cookies, follows redirects, posts forms with the page's CSRF
// token. For page tests that need no JavaScript (the pages work without it).
export interface Page {
  status: number;
  url: string;
  html: string;
}

export class WebClient {
  private cookies = new Map<string, string>();
  constructor(
    readonly base: string,
    private headers: Record<string, string> = {},
  ) {}

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  private store(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=/i.test(a) && new Date(a.split('=')[1]).getTime() < Date.now()) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(method: string, path: string, form?: Record<string, string>): Promise<Page> {
    let url = new URL(path, this.base).toString();
    let body: string | undefined = form ? new URLSearchParams(form).toString() : undefined;
    for (let hops = 0; hops < 5; hops++) {
      const res = await fetch(url, {
        method,
        redirect: 'manual',
        headers: {
          ...this.headers,
          cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
          ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body,
      });
      this.store(res);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        url = new URL(location, url).toString();
        method = 'GET';
        body = undefined;
        await res.arrayBuffer();
        continue;
      }
      return { status: res.status, url, html: await res.text() };
    }
    throw new Error(`too many redirects from ${path}`);
  }

  get(path: string) {
    return this.request('GET', path);
  }

  /** POST a form to `action`, with the CSRF token of the page last shown (or of `from`). */
  async submit(from: Page | string, action: string, fields: Record<string, string>): Promise<Page> {
    const page = typeof from === 'string' ? await this.get(from) : from;
    return this.request('POST', action, { _csrf: csrfOf(page.html), ...fields });
  }
}

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token on the page');
  return m[1];
}

/** The text of the element with this id (tags stripped, whitespace collapsed). */
export function textOf(html: string, id: string): string | null {
  const start = html.search(new RegExp(`<[a-z0-9]+[^>]*\\sid="${id}"`));
  if (start < 0) return null;
  const tag = /^<([a-z0-9]+)/.exec(html.slice(start))![1];
  const end = html.indexOf(`</${tag}>`, start);
  return html.slice(start, end).replace(/<[^>]+>/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ').trim();
}
