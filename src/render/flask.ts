/** The Flask app and its Dockerfile, one per app in the spec. */
import type { AppSpec, ImageFlavor, LabSpec } from '../spec/types.js';
import { SERVED_BY_HEADER } from '../spec/types.js';
import { BASE_IMAGES } from '../spec/images.js';
import { pyString, renderTemplate } from './engine.js';

export function renderFlaskApp(spec: LabSpec, app: AppSpec): string {
  return renderTemplate('app.py', {
    labId: spec.id,
    title: spec.title,
    app,
    routes: app.routes,
    hasStatic: app.routes.some((r) => r.staticDir !== undefined),
    servedByHeader: SERVED_BY_HEADER,
    py: pyString,
    pyList: (items: string[]) => `[${items.map(pyString).join(', ')}]`,
  });
}

export function renderAppDockerfile(app: AppSpec, flavor: ImageFlavor): string {
  return renderTemplate('Dockerfile.app', { app, flavor, image: BASE_IMAGES[flavor].python });
}
