/**
 * What each service of a lab is made of: the base it starts from, the files it copies from
 * its directory in the lab and where they go, and the process it runs. The lab's Dockerfiles
 * are rendered from these (templates/Dockerfile.*.eta), and the Docker runtime applies the
 * same recipe to a container made straight from the base image whenever the lab's
 * Dockerfile is still the one rendered here: no build, no image of the lab's own
 * (src/runtime/docker/recipe-files.ts). A Dockerfile the learner has edited is built.
 */
import { join } from 'node:path';
import { BASE_IMAGE_ARG, OFFICIAL_IMAGES, type BaseImages } from '../lab-schema/images.js';
import { TLS_CERT_FILE, TLS_CERT_PATH, type AppSpec, type LabSpec, type ProxyKind } from '../lab-schema/types.js';
import { PROXY_CFG_PATH, PROXY_SERVICE, proxiesOf, publishedPorts } from './compose.js';
import { renderTemplate } from './engine.js';

/** One COPY: `from` is relative to the service's directory; '.' or a trailing '/' copies a directory's contents. */
export interface CopyStep {
  from: string;
  to: string;
  /** Why it is there: the Dockerfile's comment above the COPY. */
  why?: string;
}

export interface ServiceRecipe {
  /** The service: an app's name, `haproxy`, `tsproxy`. */
  service: string;
  /** Its directory in the lab (the Dockerfile's build context). */
  context: string;
  base: keyof BaseImages;
  /**
   * A command the official base needs first (its Python lacks Flask and waitress). haplab's
   * offline base has them from its package list (src/runtime/images/debootstrap.ts).
   */
  setup?: string;
  workdir?: string;
  copies: CopyStep[];
  /** Numeric: the container needs no passwd entry for it. */
  user?: string;
  ports: number[];
  cmd: string[];
}

/** The unprivileged user the apps and the TypeScript proxy run as. */
export const SERVICE_UID = '10001';

/**
 * The app's setup: pip only where the base lacks Flask or waitress (the WSGI server app.py
 * runs under); a named user for SERVICE_UID where the base has useradd.
 */
const APP_SETUP = `(python3 -c 'import flask, waitress' 2>/dev/null || pip install --no-cache-dir flask waitress) \\\n && (useradd --system --no-create-home --uid ${SERVICE_UID} flask || true)`;

const CERT_WHY = "The lab's certificate and key (made by `haplab new`), where `bind … ssl crt` reads them.";

export function appRecipe(app: AppSpec): ServiceRecipe {
  return {
    service: app.name, context: join('apps', app.name), base: 'python', setup: APP_SETUP,
    workdir: '/app', copies: [{ from: '.', to: '/app' }], user: SERVICE_UID, ports: [app.port], cmd: ['python3', 'app.py'],
  };
}

export function proxyRecipe(spec: LabSpec, proxy: ProxyKind): ServiceRecipe {
  const service = PROXY_SERVICE[proxy];
  const cfgPath = PROXY_CFG_PATH[proxy];
  const ports = publishedPorts(spec, proxy).map((p) => p.container);
  const cert: CopyStep[] = spec.frontends.some((f) => f.tls) ? [{ from: TLS_CERT_FILE, to: TLS_CERT_PATH, why: CERT_WHY }] : [];
  if (proxy === 'haproxy') {
    return { service, context: service, base: 'haproxy', copies: [{ from: 'haproxy.cfg', to: cfgPath }, ...cert], ports, cmd: ['haproxy', '-W', '-db', '-f', cfgPath] };
  }
  return {
    service, context: service, base: 'node', workdir: '/haplab',
    copies: [{ from: 'proxy/', to: '/haplab/' }, { from: 'haproxy.cfg', to: cfgPath }, ...cert],
    user: SERVICE_UID, ports, cmd: ['node', '/haplab/src/proxy/main.js', '-f', cfgPath],
  };
}

/** Every service of the lab that has a Dockerfile: the apps, then the proxies. */
export function serviceRecipes(spec: LabSpec): ServiceRecipe[] {
  return [...spec.apps.map(appRecipe), ...proxiesOf(spec).map((p) => proxyRecipe(spec, p))];
}

const TEMPLATE: Record<keyof BaseImages, string> = { python: 'Dockerfile.app', haproxy: 'Dockerfile.haproxy', node: 'Dockerfile.tsproxy' };

/** The Dockerfile of a recipe; its base is the build argument BASE_IMAGE (default: the official image), which `up` chooses per machine. */
export function renderDockerfile(recipe: ServiceRecipe): string {
  return renderTemplate(TEMPLATE[recipe.base], {
    recipe, arg: BASE_IMAGE_ARG, image: OFFICIAL_IMAGES[recipe.base],
    exec: (cmd: string[]) => `[${cmd.map((c) => JSON.stringify(c)).join(', ')}]`,
  });
}
