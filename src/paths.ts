/** Where haplab's own files are, whether running from src/ (tests) or dist/src/ (installed). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'haplab') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('haplab: cannot find its own package.json');
    dir = parent;
  }
}

export const packageRoot = findPackageRoot();
export const labsDir = join(packageRoot, 'labs');
export const templatesDir = join(packageRoot, 'templates');
/** The compiled proxy, copied into the TypeScript proxy's image. */
export const distDir = join(packageRoot, 'dist');
