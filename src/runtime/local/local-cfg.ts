/**
 * The haproxy.cfg a local proxy reads: the lab's own file as it stands (edits included),
 * moved onto loopback. A container reaches `app1:5001` by name and binds `*:80`; on the host
 * the apps listen on 127.0.0.1 ports and each proxy binds the host port the docker runtime
 * would publish. Only those words change — server addresses (and check ports), bind
 * addresses, a stats socket path — and process settings that need root or a container
 * path are commented out; every other line (balance, hash-type, weights, ACLs, rules,
 * servers added or removed, comments) is kept byte for byte.
 *
 * Reading goes through haplab's own haproxy.cfg parser (src/proxy/config): a file it
 * rejects is bad input with file:line:column, exactly as `haplab proxy -c` says it.
 */
import { readFile } from 'node:fs/promises';
import { BadInputError } from '../../errors.js';
import { loadConfigFile, parseConfig, tokenizeLine, type ProxyConfig, type ProxySection, type ServerConfig, type Word } from '../../proxy/config/index.js';
import { splitHostPort } from '../../proxy/config/values.js';
import { renderHaproxyCfg } from '../../render/haproxy-cfg.js';
import type { AppSpec, LabSpec } from '../../lab-schema/types.js';
import { LOOPBACK } from './ports.js';
import type { ReadyProbe } from './run-record.js';

/** A loopback port nothing listens on: a server aimed at a closed container port gets "refused" here too. */
export const REFUSING_PORT = 1;

/** Process settings that need root or a container path, and change nothing about balancing. */
const ROOT_ONLY_GLOBALS = new Set(['chroot', 'user', 'group', 'uid', 'gid', 'pidfile']);

const SECTION_KEYWORDS = new Set(['global', 'defaults', 'frontend', 'backend', 'listen']);

export interface LabCfg {
  /** The lab's file (or, when it is missing, what lab.yaml renders). */
  text: string;
  /** Where it came from, as messages name it. */
  file: string;
  config: ProxyConfig;
  /** True when the lab has no such file and the config lab.yaml renders stands in. */
  rendered: boolean;
}

/** Reads and parses a lab's proxy config; a file the parser rejects throws BadInputError at file:line:column. */
export async function readLabCfg(spec: LabSpec, file: string): Promise<LabCfg> {
  let text: string;
  try {
    text = await readFile(file, 'latin1');
  } catch {
    // No file (a lab written by hand, or removed): the config lab.yaml renders, as docker would build it.
    const rendered = renderHaproxyCfg(spec);
    return { text: rendered, file: `${file} (missing: rendered from lab.yaml)`, config: parseConfig(rendered, { file }), rendered: true };
  }
  // loadConfigFile also refuses what HAProxy refuses before parsing (a last line without LF).
  return { text, file, config: await loadConfigFile(file), rendered: false };
}

/** Every port a frontend of the config binds, in file order, once each. */
export function boundPorts(config: ProxyConfig): number[] {
  return [...new Set(config.proxies.flatMap((p) => p.binds.map((b) => b.port)))];
}

export interface LoopbackPorts {
  /** App name → the loopback port it listens on. */
  apps: Map<string, number>;
  /** A port the config binds (in the container) → the loopback port this proxy binds instead. */
  binds: Map<number, number>;
  /** Where a `stats socket` goes (a container path is not writable here). */
  statsSocket: string;
  /**
   * An admin-level `stats socket` the runtime adds for itself: the prober's access to the
   * runtime API (Prober.runtimeApi), whatever sockets the lab's own config declares.
   */
  adminSocket?: string;
  /** Where a `bind … ssl crt FILE` finds the lab's certificate here (FILE is a container path). */
  tlsCert?: string;
}

export interface LoopbackCfg {
  text: string;
  /** The ports the proxy will listen on, and what counts as ready on each. */
  listens: { port: number; ready: ReadyProbe }[];
  /** The stats page, when a section has one: its loopback port and URI. */
  stats?: { port: number; uri: string };
  /** What was changed beyond addresses and ports, for the run's notes. */
  notes: string[];
  /** How many server addresses and bind addresses were moved to loopback. */
  moved: { servers: number; binds: number };
}

interface Edit {
  from: number;
  to: number;
  text: string;
}

function applyEdits(raw: string, edits: Edit[]): string {
  let out = raw;
  for (const e of [...edits].sort((a, b) => b.from - a.from)) out = out.slice(0, e.from) + e.text + out.slice(e.to);
  return out;
}

const replaceWord = (w: Word, text: string): Edit => ({ from: w.column - 1, to: w.end - 1, text });

/** Translates the lab's config for loopback; `ports.binds` must hold every port of boundPorts(). */
export function translateForLoopback(cfg: LabCfg, spec: LabSpec, ports: LoopbackPorts): LoopbackCfg {
  const apps = new Map(spec.apps.map((a) => [a.name, a]));
  const serversByLine = new Map<number, ServerConfig>();
  for (const p of cfg.config.proxies) for (const s of p.servers) serversByLine.set(s.where.line, s);
  const notes: string[] = [];
  const moved = { servers: 0, binds: 0 };
  const live = new Set<ServerConfig>();
  const lines = cfg.text.split('\n');
  let section = '';
  let socketsMoved = 0;
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!;
    const line = index + 1;
    const words = tokenizeLine(raw, { file: cfg.file, line });
    const keyword = words[0]?.text;
    if (keyword === undefined || keyword === '') continue;
    if (SECTION_KEYWORDS.has(keyword)) {
      section = keyword;
      continue;
    }
    const edits: Edit[] = [];
    if (section === 'global' && ROOT_ONLY_GLOBALS.has(keyword)) {
      const indent = raw.length - raw.trimStart().length;
      lines[index] = `${raw.slice(0, indent)}# [haplab local runtime: needs root or a container path] ${raw.slice(indent)}`;
      notes.push(`${cfg.file}:${line}: \`${keyword}\` left out locally (a process setting that needs root or a container path)`);
      continue;
    }
    if (section === 'global' && keyword === 'stats' && words[1]?.text === 'socket' && words[2]) {
      // A container path is not writable here, and a container-only address (the rendered
      // ipv4@127.0.0.1:PORT) would be one port for every local proxy: each goes to a socket file.
      const path = socketsMoved++ === 0 ? ports.statsSocket : `${ports.statsSocket}.${socketsMoved - 1}`;
      edits.push(replaceWord(words[2], path));
      notes.push(`${cfg.file}:${line}: stats socket ${words[2].text} → ${path}`);
    } else if (section !== 'global' && keyword === 'bind' && words[1]) {
      const parts = words[1].text.split(',').map((part) => `${LOOPBACK}:${loopbackBind(ports.binds, Number(splitHostPort(part).port))}`);
      edits.push(replaceWord(words[1], parts.join(',')));
      moved.binds += parts.length;
      const crt = words.findIndex((w, i) => i > 1 && w.text === 'crt');
      if (crt > 0 && words[crt + 1] && ports.tlsCert) {
        edits.push(replaceWord(words[crt + 1]!, ports.tlsCert));
        notes.push(`${cfg.file}:${line}: crt ${words[crt + 1]!.text} → ${ports.tlsCert}`);
      }
    } else if (keyword === 'server' && words[2]) {
      const server = serversByLine.get(line)!;
      const app = appOf(server, words[2], apps, cfg.file, spec);
      const port = server.port === app.port ? ports.apps.get(app.name)! : REFUSING_PORT;
      if (port === REFUSING_PORT) {
        notes.push(`${cfg.file}:${line}: server ${server.name} points at ${words[2].text}, where nothing listens (${app.name} listens on ${app.port}): locally ${LOOPBACK}:${REFUSING_PORT}, refused as the container port would be`);
      } else if (!server.disabled && server.weight > 0) live.add(server);
      edits.push(replaceWord(words[2], `${LOOPBACK}:${port}`));
      edits.push(...checkPortEdits(words, app, ports.apps.get(app.name)!));
      moved.servers++;
    }
    lines[index] = applyEdits(raw, edits);
  }
  if (ports.adminSocket) {
    const at = lines.findIndex((l) => /^\s*global\s*(#.*)?$/.test(l));
    const added = `    stats socket ${ports.adminSocket} level admin`;
    if (at >= 0) lines.splice(at + 1, 0, added);
    else lines.unshift('global', added, '');
    notes.push(`${cfg.file}: added \`stats socket ${ports.adminSocket} level admin\` locally (the verifier's access to the runtime API, for a weight changed at run time)`);
  }
  return { text: lines.join('\n'), notes, moved, ...listensOf(cfg.config, ports.binds, live) };
}

function loopbackBind(binds: ReadonlyMap<number, number>, port: number): number {
  const local = binds.get(port);
  if (local === undefined) throw new Error(`no loopback port was chosen for bind :${port} (every port of boundPorts() needs one)`);
  return local;
}

/** The app a server line names; anything else is bad input (lab.yaml's apps are all there is). */
function appOf(server: ServerConfig, address: Word, apps: Map<string, AppSpec>, file: string, spec: LabSpec): AppSpec {
  const app = apps.get(server.host);
  if (app) return app;
  throw new BadInputError(
    `server ${server.name} points at '${address.text}', but lab.yaml has no app '${server.host}' (apps: ${spec.apps.map((a) => `${a.name}:${a.port}`).join(', ')})`,
    { file, line: server.where.line, column: address.column },
    'point the server at one of those apps, or add the app to lab.yaml and run `haplab new --spec lab.yaml --force` in the lab',
  );
}

/** `port N` (the health-check port) follows the address: the app's port moves with it, any other refuses. */
function checkPortEdits(words: readonly Word[], app: AppSpec, localPort: number): Edit[] {
  const edits: Edit[] = [];
  for (let k = 3; k < words.length - 1; k++) {
    if (words[k]!.text !== 'port') continue;
    const value = words[k + 1]!;
    edits.push(replaceWord(value, String(Number(value.text) === app.port ? localPort : REFUSING_PORT)));
    k++;
  }
  return edits;
}

/**
 * What `up` waits for on each port: a stats-only section is not waited for; a TCP frontend
 * must accept; an HTTP frontend must get an answer that is not the proxy's own 5xx — unless
 * no server it can route to reaches an app (an edit removed them all): then any answer will do.
 */
function listensOf(config: ProxyConfig, binds: Map<number, number>, live: Set<ServerConfig>): Pick<LoopbackCfg, 'listens' | 'stats'> {
  const listens = new Map<number, ReadyProbe>();
  const statsPages: { port: number; uri: string; only: boolean }[] = [];
  for (const section of config.frontends) {
    const routes = routedBackends(config, section);
    for (const bind of section.binds) {
      const port = loopbackBind(binds, bind.port);
      if (section.statsUri !== undefined) statsPages.push({ port, uri: section.statsUri, only: routes.length === 0 });
      // A TLS bind answers no plain HTTP: accepting is its readiness here (no port proxy on loopback).
      const ready: ReadyProbe = section.mode === 'tcp' || bind.ssl ? 'tcp'
        : routes.length === 0 ? 'none'
          : routes.some((b) => b.servers.some((s) => live.has(s))) ? 'http-frontend' : 'http-any';
      if (!listens.has(port)) listens.set(port, ready);
    }
  }
  const page = statsPages.find((p) => p.only) ?? statsPages[0];
  return { listens: [...listens].map(([port, ready]) => ({ port, ready })), stats: page && { port: page.port, uri: page.uri } };
}

/** The backends a frontend can send a request to: its default, its use_backend targets, itself when it is a listen with servers. */
function routedBackends(config: ProxyConfig, frontend: ProxySection): ProxySection[] {
  const names = [frontend.defaultBackend?.name, ...frontend.switchingRules.map((r) => r.backend)];
  const found = names.flatMap((n) => {
    const b = n === undefined ? undefined : config.backends.get(n);
    return b ? [b] : [];
  });
  if (frontend.capabilities.backend && frontend.servers.length > 0) found.push(frontend);
  return found;
}
