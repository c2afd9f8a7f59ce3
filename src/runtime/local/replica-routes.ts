/**
 * Flask (Werkzeug) URL rules, as far as the labs use them: `/`, `/data`,
 * `/static/<path:filename>`, `/<path:anything>`, with converters string (the default),
 * path, int, float and uuid. Matching follows Werkzeug's precedence: rules without
 * variables before rules with them, then more static text first; a URL that matches a
 * rule only for other methods gives 405, not 404.
 */
import type { RouteSpec } from '../../lab-schema/types.js';

const CONVERTERS: Record<string, string> = {
  string: '[^/]+',
  default: '[^/]+',
  // Werkzeug's PathConverter: at least one character, not starting with a slash.
  path: '[^/].*?',
  int: '\\d+',
  float: '\\d+\\.\\d+',
  uuid: '[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}',
};

export interface CompiledRoute {
  route: RouteSpec;
  pattern: RegExp;
  params: string[];
  /** Upper-case methods, with HEAD for GET and OPTIONS, as Flask adds them. */
  methods: Set<string>;
  /** Precedence: static rules first, then more literal characters, then declaration order. */
  order: [number, number, number];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function compileRoute(route: RouteSpec, index: number): CompiledRoute {
  const params: string[] = [];
  let source = '';
  let literal = 0;
  let last = 0;
  const variable = /<(?:([a-zA-Z_]+)(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>/g;
  for (let m = variable.exec(route.path); m; m = variable.exec(route.path)) {
    const text = route.path.slice(last, m.index);
    source += escapeRegExp(text);
    literal += text.length;
    source += `(${CONVERTERS[m[1] ?? 'default'] ?? CONVERTERS.default})`;
    params.push(m[2]!);
    last = m.index + m[0].length;
  }
  const tail = route.path.slice(last);
  source += escapeRegExp(tail);
  literal += tail.length;
  const methods = new Set((route.methods ?? ['GET']).map((m) => m.toUpperCase()));
  if (methods.has('GET')) methods.add('HEAD');
  methods.add('OPTIONS');
  return { route, pattern: new RegExp(`^${source}$`), params, methods, order: [params.length > 0 ? 1 : 0, -literal, index] };
}

export function compileRoutes(routes: readonly RouteSpec[]): CompiledRoute[] {
  return routes
    .map(compileRoute)
    .sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1] || a.order[2] - b.order[2]);
}

export type RouteMatch =
  | { kind: 'found'; route: CompiledRoute; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

export function matchRoute(routes: readonly CompiledRoute[], method: string, path: string): RouteMatch {
  const allowed = new Set<string>();
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    if (route.methods.has(method)) {
      const params: Record<string, string> = {};
      route.params.forEach((name, i) => (params[name] = m[i + 1]!));
      return { kind: 'found', route, params };
    }
    for (const allowedMethod of route.methods) allowed.add(allowedMethod);
  }
  return allowed.size > 0 ? { kind: 'method-not-allowed', allowed: [...allowed] } : { kind: 'not-found' };
}
