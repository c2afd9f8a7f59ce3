/**
 * A Node stand-in for a lab's Flask app, for machines where Flask does not import: the
 * same routes, methods, texts, JSON (as Flask serializes it), static files, delay and
 * X-Served-By header, and Werkzeug's 404/405 pages, on connections kept alive as waitress
 * keeps them (app.py serves with waitress) — so the verifier cannot tell the two apart by
 * anything it checks.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { HEALTH_FLAG_FILE, SERVED_BY_HEADER, type AppSpec, type RouteSpec } from '../../lab-schema/types.js';
import { existsSync } from 'node:fs';
import { compileRoutes, matchRoute } from './replica-routes.js';

const NOT_FOUND_PAGE = '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n';
const METHOD_NOT_ALLOWED_PAGE = '<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the requested URL.</p>\n';
const HTML = 'text/html; charset=utf-8';
const WAITRESS_IDLE_MS = 120_000;

/** The types Python's mimetypes gives the files labs ship; anything else is a plain download. */
const MIME: Record<string, string> = {
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.svg': 'image/svg+xml',
  '.ico': 'image/vnd.microsoft.icon', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.html': HTML, '.htm': HTML, '.txt': 'text/plain; charset=utf-8', '.json': 'application/json',
};

interface Reply {
  status: number;
  reason?: string;
  headers?: Record<string, string>;
  body: Buffer | string;
}

/** Flask's JSON: keys sorted, compact separators, non-ASCII escaped, a trailing newline. */
export function flaskJson(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]));
    return v;
  };
  const text = JSON.stringify(sorted(value)).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `${text}\n`;
}

/** Werkzeug's safe_join: no way out of the static directory. */
function safePath(root: string, name: string): string | undefined {
  if (name.split('/').some((part) => part === '..') || name.includes('\\') || name.startsWith('/')) return undefined;
  const full = resolve(root, name);
  return full.startsWith(resolve(root) + sep) ? full : undefined;
}

async function staticFile(appDir: string, staticDir: string, name: string): Promise<Reply> {
  const file = safePath(join(appDir, staticDir), name);
  if (!file) return notFound();
  try {
    const info = await stat(file);
    if (!info.isFile()) return notFound();
    const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
    return {
      status: 200,
      headers: { 'Content-Type': type, 'Content-Disposition': `inline; filename=${name.split('/').pop()}`, 'Last-Modified': info.mtime.toUTCString(), 'Cache-Control': 'no-cache' },
      body: await readFile(file),
    };
  } catch {
    return notFound();
  }
}

function notFound(): Reply {
  return { status: 404, reason: 'NOT FOUND', headers: { 'Content-Type': HTML }, body: NOT_FOUND_PAGE };
}

async function routeReply(appDir: string, route: RouteSpec, params: Record<string, string>, req: IncomingMessage): Promise<Reply> {
  if (route.echoHeader !== undefined) {
    // One header line is what the labs send; Node joins repeated ones (Cookie with "; ").
    const value = req.headers[route.echoHeader.toLowerCase()];
    return { status: 200, headers: { 'Content-Type': HTML }, body: `${route.echoHeader}: ${Array.isArray(value) ? value.join(', ') : (value ?? '(none)')}` };
  }
  if (route.staticDir !== undefined) {
    const name = params.filename ?? Object.values(params)[0] ?? '';
    return staticFile(appDir, route.staticDir, name);
  }
  // A view returning a dict or list is JSON in Flask; a string is HTML text.
  if (route.json !== undefined && typeof route.json !== 'string') return { status: 200, headers: { 'Content-Type': 'application/json' }, body: flaskJson(route.json) };
  const text = typeof route.json === 'string' ? route.json : (route.text ?? '');
  return { status: 200, headers: { 'Content-Type': HTML }, body: text };
}

/**
 * Flask's own static route: an app that declares no static route of its own (the template
 * then keeps Flask's default static folder) still answers /static/<file> from ./static —
 * before any `/<path:…>` rule, and without the view's delay.
 */
const FLASK_STATIC: RouteSpec = { path: '/static/<path:filename>', staticDir: 'static' };

function routesOf(app: AppSpec): RouteSpec[] {
  return app.routes.some((r) => r.staticDir !== undefined) ? app.routes : [...app.routes, FLASK_STATIC];
}

export interface ReplicaOptions {
  /** Receives one access-log line per request, like Werkzeug's (replica-main: stdout). */
  log?: (line: string) => void;
}

export function createReplicaServer(app: AppSpec, appDir: string, options: ReplicaOptions = {}): Server {
  const routes = compileRoutes(routesOf(app));
  const handle = async (req: IncomingMessage): Promise<Reply> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const rawPath = (req.url ?? '/').split('?')[0]!;
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      path = rawPath;
    }
    if (app.healthRoute === path && (method === 'GET' || method === 'HEAD')) {
      // app.py's health view: 503 while the flag file exists in the app's directory.
      const failing = existsSync(join(appDir, HEALTH_FLAG_FILE));
      return { status: failing ? 503 : 200, reason: failing ? 'SERVICE UNAVAILABLE' : undefined, headers: { 'Content-Type': HTML }, body: failing ? 'unhealthy' : 'OK' };
    }
    const match = matchRoute(routes, method, path);
    if (match.kind === 'not-found') return notFound();
    if (match.kind === 'method-not-allowed') {
      return { status: 405, reason: 'METHOD NOT ALLOWED', headers: { 'Content-Type': HTML, Allow: match.allowed.join(', ') }, body: METHOD_NOT_ALLOWED_PAGE };
    }
    const declared = (match.route.route.methods ?? ['GET']).map((m) => m.toUpperCase());
    if (method === 'OPTIONS' && !declared.includes('OPTIONS')) {
      return { status: 200, headers: { 'Content-Type': HTML, Allow: [...match.route.methods].join(', ') }, body: '' };
    }
    // Flask sleeps inside the view: only a matched route of the app waits (ep06's slow servers).
    const delay = match.route.route === FLASK_STATIC ? 0 : (app.delaySeconds ?? 0) + (match.route.route.delaySeconds ?? 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay * 1000));
    return routeReply(appDir, match.route.route, match.params, req);
  };

  const server = createServer((req, res) => {
    // Read the whole request first, as waitress does, then answer; the connection stays
    // open for the next request (HTTP/1.1 keep-alive, as under waitress).
    req.resume();
    req.on('end', () => {
      handle(req).then(
        (reply) => send(req, res, app.name, reply, options.log),
        (err: unknown) => send(req, res, app.name, { status: 500, reason: 'INTERNAL SERVER ERROR', headers: { 'Content-Type': HTML }, body: `<h1>Internal Server Error</h1><p>${String(err)}</p>\n` }, options.log),
      );
    });
  });
  // waitress closes a connection idle for 120 s (its channel_timeout); Node's default is 5 s.
  server.keepAliveTimeout = WAITRESS_IDLE_MS;
  return server;
}

function send(req: IncomingMessage, res: ServerResponse, appName: string, reply: Reply, log?: (line: string) => void): void {
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
  res.statusCode = reply.status;
  if (reply.reason) res.statusMessage = reply.reason;
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  res.setHeader('Content-Length', body.length);
  res.setHeader(SERVED_BY_HEADER, appName);
  res.setHeader('Server', 'haplab-replica (Flask stand-in)');
  res.end(req.method === 'HEAD' ? undefined : body);
  log?.(`${req.socket.remoteAddress ?? '-'} - - [${new Date().toUTCString()}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${reply.status} -`);
}
