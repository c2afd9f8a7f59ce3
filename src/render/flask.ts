/** The Flask app, one per app in the spec (its Dockerfile: recipes.ts). */
import type { AppSpec, LabSpec } from '../lab-schema/types.js';
import { HEALTH_FLAG_FILE, SERVED_BY_HEADER } from '../lab-schema/types.js';
import { pyString, renderTemplate } from './engine.js';

/**
 * waitress serves a request on a thread of a fixed pool (Werkzeug's threaded=True started
 * one per request): enough that the verifier's concurrent clients (12 per proxy, both
 * proxies at once; src/verify/models/leastconn.ts, peakload.ts) never queue behind a slow
 * view. Idle kept-alive connections hold no thread, only a slot of the connection limit,
 * which the proxies' idle server-connection pools also take (waitress polls with select():
 * stay well under its 1024 descriptors).
 */
export const WAITRESS_THREADS = 48;
export const WAITRESS_CONNECTION_LIMIT = 500;

export function renderFlaskApp(spec: LabSpec, app: AppSpec): string {
  return renderTemplate('app.py', {
    labId: spec.id,
    title: spec.title,
    app,
    routes: app.routes,
    hasStatic: app.routes.some((r) => r.staticDir !== undefined),
    servedByHeader: SERVED_BY_HEADER,
    healthFlag: HEALTH_FLAG_FILE,
    py: pyString,
    pyList: (items: string[]) => `[${items.map(pyString).join(', ')}]`,
    threads: WAITRESS_THREADS,
    connectionLimit: WAITRESS_CONNECTION_LIMIT,
  });
}
