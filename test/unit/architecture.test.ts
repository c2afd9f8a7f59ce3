/**
 * The layer rules of docs/architecture.md, enforced on the source text: every relative
 * import of every file under src/ (`import … from '…'`, `export … from '…'`, `import('…')`)
 * is resolved to the file it names, and each rule lists the imports that break it (file,
 * line, target). Also: outside src/runtime no source branches on the runtime kind.
 *
 * Layers, lowest first: src/errors.ts and src/paths.ts (the base: import nothing of src) ·
 * src/proxy (a leaf: only itself and the base) · src/lab-schema (the lab schema) · src/render and
 * src/probe · src/runtime · src/verify · src/cli. A module may import its own layer and the
 * layers below it, never above.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const SRC = join(ROOT, 'src');

interface Import {
  /** The importing file, relative to the repository (src/cli/check.ts). */
  from: string;
  line: number;
  /** The imported file, relative to the repository, with .ts for .js (src/runtime/types.ts). */
  to: string;
  /** `import type` / `export type … from`: erased from the compiled code. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT_PATTERNS = [/\bfrom\s+'([^']+)'/g, /\bimport\s*\(\s*'([^']+)'\s*\)/g, /^\s*import\s+'([^']+)'/g];

function importsOf(file: string): Import[] {
  const out: Import[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
    for (const pattern of IMPORT_PATTERNS) {
      for (const m of text.matchAll(pattern)) {
        const spec = m[1]!;
        if (!spec.startsWith('.')) continue; // node: builtins and packages
        const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
        out.push({ from: relative(ROOT, file), line: i + 1, to: relative(ROOT, target), typeOnly: /^\s*(import|export)\s+type\b/.test(text) });
      }
    }
  });
  return out;
}

const files = sourceFiles(SRC);
const imports = files.flatMap(importsOf);

const under = (path: string, folder: string) => path === `${folder}.ts` || path.startsWith(`${folder}/`);
const show = (list: Import[]) => list.map((i) => `${i.from}:${i.line} → ${i.to}`);

/** The layer of a file under src/: its top folder (or the base for errors.ts / paths.ts). */
function layerOf(path: string): string {
  const top = path.split('/')[1]!;
  return top === 'errors.ts' || top === 'paths.ts' ? 'base' : top;
}

/** Lowest first: a layer may import itself and any layer with a lower rank. */
const RANK: Record<string, number> = { base: 0, proxy: 1, 'lab-schema': 2, render: 3, probe: 3, runtime: 4, verify: 5, cli: 6 };

/** What src/runtime offers the layers above it; everything else in it is the runtimes' own. */
const RUNTIME_ENTRY_POINTS = ['src/runtime/types.ts', 'src/runtime/select.ts', 'src/runtime/every.ts', 'src/runtime/images/index.ts', 'src/runtime/doctor/index.ts'];

/**
 * Known exceptions, each with its reason. The lab schema validates ACL and rule lines with
 * the proxy's own parsers (one parser of each kind: ACLs, haproxy.cfg words, the
 * `stick-table` line); the proxy is a leaf, so this adds no cycle, only an edge the brief's
 * "spec imports only itself" does not name.
 */
const SPEC_USES_PROXY_PARSERS = new Set(['src/proxy/acl/ip.ts', 'src/proxy/acl/parse.ts', 'src/proxy/config/tokenize.ts', 'src/proxy/stick-table/config.ts']);

describe('layer rules (docs/architecture.md)', () => {
  it('scans a real tree: every src/ layer has files and the imports resolve to files that exist', () => {
    for (const layer of Object.keys(RANK).filter((l) => l !== 'base')) {
      expect(files.some((f) => under(relative(ROOT, f), `src/${layer}`)), layer).toBe(true);
    }
    expect(imports.length).toBeGreaterThan(300);
    const known = new Set(files.map((f) => relative(ROOT, f)));
    expect(show(imports.filter((i) => under(i.to, 'src') && !known.has(i.to)))).toEqual([]);
  });

  it('every import goes to the same layer or one below (cli → verify → runtime → render/probe → lab-schema → proxy → base)', () => {
    const upward = imports.filter((i) => {
      if (!under(i.to, 'src')) return true; // nothing under src/ reaches outside it
      const from = RANK[layerOf(i.from)];
      const to = RANK[layerOf(i.to)];
      return from === undefined || to === undefined || to > from;
    });
    expect(show(upward)).toEqual([]);
  });

  it('the base (src/errors.ts, src/paths.ts) imports nothing of src', () => {
    expect(show(imports.filter((i) => layerOf(i.from) === 'base'))).toEqual([]);
  });

  it('src/proxy is a leaf: it imports only itself and the base', () => {
    expect(show(imports.filter((i) => layerOf(i.from) === 'proxy' && !['proxy', 'base'].includes(layerOf(i.to))))).toEqual([]);
  });

  it('src/lab-schema imports only itself and the base (and the proxy\'s parsers, listed with their reason)', () => {
    const bad = imports.filter((i) => layerOf(i.from) === 'lab-schema' && !['lab-schema', 'base'].includes(layerOf(i.to)) && !SPEC_USES_PROXY_PARSERS.has(i.to));
    expect(show(bad)).toEqual([]);
  });

  it('src/render imports neither runtime, verify nor cli', () => {
    expect(show(imports.filter((i) => layerOf(i.from) === 'render' && ['runtime', 'verify', 'cli'].includes(layerOf(i.to))))).toEqual([]);
  });

  it('src/runtime imports neither verify nor cli; src/verify does not import cli', () => {
    expect(show(imports.filter((i) => layerOf(i.from) === 'runtime' && ['verify', 'cli'].includes(layerOf(i.to))))).toEqual([]);
    expect(show(imports.filter((i) => layerOf(i.from) === 'verify' && layerOf(i.to) === 'cli'))).toEqual([]);
  });

  it('outside src/runtime only its entry points are imported, never a runtime\'s internals (docker/, local/, shared/…)', () => {
    const internal = imports.filter((i) => layerOf(i.from) !== 'runtime' && layerOf(i.to) === 'runtime' && !RUNTIME_ENTRY_POINTS.includes(i.to));
    expect(show(internal)).toEqual([]);
  });

  it('what the probe image copies alone (src/runtime/docker/probe-image.ts COMPILED) imports nothing outside it', () => {
    const copied = (path: string) => under(path, 'src/probe') || path === 'src/runtime/types.ts' || path === 'src/lab-schema/types.ts';
    const source = readFileSync(join(ROOT, 'src/runtime/docker/probe-image.ts'), 'utf8');
    // The list this test mirrors: if the image copies more or less, this test must say so too.
    expect(source).toMatch(/COMPILED = \['src\/probe', 'src\/runtime\/types\.js', 'src\/lab-schema\/types\.js'\]/);
    // Type-only imports vanish from the compiled code; only value imports must be inside.
    const valueImports = imports.filter((i) => copied(i.from) && !i.typeOnly && !copied(i.to));
    expect(show(valueImports)).toEqual([]);
  });

  it('the docker and local runtimes do not import each other (what both need lives in src/runtime/shared)', () => {
    const crossing = imports.filter((i) =>
      (under(i.from, 'src/runtime/docker') && under(i.to, 'src/runtime/local')) || (under(i.from, 'src/runtime/local') && under(i.to, 'src/runtime/docker')));
    expect(show(crossing)).toEqual([]);
  });
});

describe('no branch on the runtime kind outside src/runtime', () => {
  /** Comparisons, switch cases and class tests that decide by which runtime holds the lab. */
  const KIND_BRANCH = [
    /[!=]==?\s*'(docker|local)'/,
    /'(docker|local)'\s*[!=]==?/,
    /\bcase\s+'(docker|local)'/,
    /\binstanceof\s+(DockerRuntime|LocalRuntime)\b/,
  ];

  it('the patterns catch what they are meant to (and not a label in a report)', () => {
    const hits = (line: string) => KIND_BRANCH.some((p) => p.test(line));
    expect(hits("if (instance.runtime === 'docker') x();")).toBe(true);
    expect(hits("const local = ctx.instance.runtime === 'local';")).toBe(true);
    expect(hits("'local' !== kind")).toBe(true);
    expect(hits("case 'docker':")).toBe(true);
    expect(hits('runtime instanceof DockerRuntime ? a : b')).toBe(true);
    expect(hits('lab: instance.lab, runtime: instance.runtime,')).toBe(false);
  });

  it('no source file outside src/runtime has one', () => {
    const found: string[] = [];
    for (const file of files) {
      const path = relative(ROOT, file);
      if (under(path, 'src/runtime')) continue;
      readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
        if (KIND_BRANCH.some((p) => p.test(text))) found.push(`${path}:${i + 1}: ${text.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });
});
