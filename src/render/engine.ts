/** The templating engine (Eta) set up once for templates/. */
import { Eta } from 'eta';
import { templatesDir } from '../paths.js';

// autoTrim off: templates trim explicitly with `-%>` on control lines, so output lines stay
// exactly where the template puts them (haproxy.cfg is read by people too).
const eta = new Eta({ views: templatesDir, autoEscape: false, autoTrim: false, cache: true });

export function renderTemplate(name: string, data: object): string {
  return eta.render(`${name}.eta`, data);
}

/** A Python string literal: JSON's escapes are valid Python escapes. */
export function pyString(value: unknown): string {
  return JSON.stringify(String(value));
}
