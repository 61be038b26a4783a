// A small JSON client on node:http with keep-alive: lighter than fetch, so the load generator takes
// as little of the two cores as it can. Only ever talks to 127.0.0.1.
import http from 'node:http';

export interface Reply<T = any> {
  status: number;
  body: T;
  ms: number;
}

export function createClient(baseUrl: string, maxSockets = 64) {
  const base = new URL(baseUrl);
  if (base.hostname !== '127.0.0.1') throw new Error(`bench traffic stays on 127.0.0.1, not ${base.hostname}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets });

  function call<T = any>(method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: base.hostname,
          port: base.port,
          method,
          path,
          agent,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T, ms: performance.now() - t0 });
          });
          res.on('error', reject);
        },
      );
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  async function must<T = any>(method: string, path: string, token: string | null, body: unknown, status: number): Promise<T> {
    const r = await call<T>(method, path, token, body);
    if (r.status !== status) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
    return r.body;
  }

  return { call, must, close: () => agent.destroy() };
}

export type HttpClient = ReturnType<typeof createClient>;
