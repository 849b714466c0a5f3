// A small HTTP server for a page on this machine only: bound to 127.0.0.1, and every request (page, API,
// anything) must carry the run's secret token in its URL, so that another local user, or a web page the
// learner visits, cannot read or drive it. The Host header must name the loopback address (a DNS-rebinding
// page cannot borrow the browser's access), and a POST from another origin is refused.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DoplabError } from '../errors';

/** The loopback address the server listens on; never any other interface. */
export const LOOPBACK = '127.0.0.1';

/** What a route answers. */
export type RouteAnswer =
  | { readonly status?: number; readonly html: string }
  | { readonly status?: number; readonly json: unknown };

/** One route: `GET /` or `POST /api/check`. `nonce` is the CSP nonce of this response's inline style and script. */
export type Route = (nonce: string) => RouteAnswer | Promise<RouteAnswer>;

/** Options of the page server. */
export interface PageServerOptions {
  /** `'GET /'` → route. */
  readonly routes: Readonly<Record<string, Route>>;
  /** The port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** The secret every request must carry as `?token=`. @default 32 random bytes, hex */
  readonly token?: string;
  /** Called when a route throws something that is not a DoplabError (a bug). */
  readonly onInternalError?: (error: unknown) => void;
}

/** A running page server. */
export interface PageServer {
  /** The page's address with its token: `http://127.0.0.1:<port>/?token=…`. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

/** A fresh per-run secret: 256 bits from the OS's CSPRNG. */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}

function sameSecret(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

function refuse(res: ServerResponse, status: number, message: string): void {
  send(res, status, 'text/plain; charset=utf-8', `doplab open: ${message}\n`);
}

/** Starts the server on 127.0.0.1; a port in use or not allowed is a usage error that says what to do. */
export async function startPageServer(options: PageServerOptions): Promise<PageServer> {
  const token = options.token ?? newToken();
  let port = options.port ?? 0;
  const server = createServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hosts = [`${LOOPBACK}:${port}`, `localhost:${port}`];
    if (!hosts.includes(req.headers.host ?? '')) return refuse(res, 403, `unexpected Host "${req.headers.host ?? ''}"; open the address doplab printed.`);
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}:${port}`);
    if (!sameSecret(url.searchParams.get('token'), token)) {
      return refuse(res, 403, 'this address needs the token of this run; open the full address doplab open printed (…/?token=…).');
    }
    const origin = req.headers.origin;
    if (req.method !== 'GET' && origin !== undefined && !hosts.some((h) => origin === `http://${h}`)) {
      return refuse(res, 403, `requests from ${origin} are not accepted.`);
    }
    const route = options.routes[`${req.method} ${url.pathname}`];
    if (!route) {
      const other = Object.keys(options.routes).some((k) => k.endsWith(` ${url.pathname}`));
      return refuse(res, other ? 405 : 404, other ? `${req.method} is not allowed on ${url.pathname}.` : `nothing at ${url.pathname}.`);
    }
    const nonce = randomBytes(16).toString('base64');
    let answer: RouteAnswer;
    try {
      answer = await route(nonce);
    } catch (error) {
      options.onInternalError?.(error);
      const message = error instanceof Error ? error.message : String(error);
      answer = { status: 500, json: { error: { code: error instanceof DoplabError ? error.code : 'INTERNAL', message } } };
    }
    if ('html' in answer) {
      const csp =
        `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; ` +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
      return send(res, answer.status ?? 200, 'text/html; charset=utf-8', answer.html, { 'content-security-policy': csp });
    }
    send(res, answer.status ?? 200, 'application/json; charset=utf-8', JSON.stringify(answer.json));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(new DoplabError('BAD_OPTION', 'usage', `Port ${port} on ${LOOPBACK} is already in use.`, { hint: 'Choose another with --port, or leave --port out to use a free one.', cause: error }));
      } else if (error.code === 'EACCES') {
        reject(new DoplabError('BAD_OPTION', 'usage', `Port ${port} on ${LOOPBACK} may not be opened by this user.`, { hint: 'Choose a port above 1023 with --port, or leave --port out.', cause: error }));
      } else {
        reject(new DoplabError('BAD_OPTION', 'environment', `Cannot listen on ${LOOPBACK}:${port}: ${error.message}`, { cause: error }));
      }
    });
    server.listen({ host: LOOPBACK, port, exclusive: true }, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${LOOPBACK}:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
