/**
 * The lab directory `haplab new` writes into: made ready before anything is written, and
 * every file put in it checked to stay inside it. A --dir that cannot hold a lab (a file,
 * a path under a file, /proc, /sys, a read-only place) is one line naming --dir, never a
 * stack trace; and directories are made one level at a time, because Node's recursive
 * mkdir loops forever on ENOENT from filesystems that refuse new entries (/proc).
 */
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, realpath, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { BadInputError, EnvironmentError } from '../errors.js';

export const SPEC_FILE = 'lab.yaml';

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

function badDir(dir: string, what: string, hint = 'choose a --dir in a writable directory, e.g. --dir ./mylab'): BadInputError {
  return new BadInputError(`cannot write the lab to ${dir}: ${what}`, { flag: '--dir' }, hint);
}

export interface PreparedDir {
  /** The directory as given, absolute. */
  dir: string;
  /** Its real path (symlinks resolved): every file written must end up inside it. */
  real: string;
  /** The topmost directory this run created, removed again if writing fails. */
  created?: string;
}

/** Makes `dir` ready to receive a lab: an empty or (with force) haplab lab directory, writable. */
export async function prepareLabDir(dir: string, force: boolean): Promise<PreparedDir> {
  const info = await stat(dir).catch((err: unknown) => err as NodeJS.ErrnoException);
  if (!(info instanceof Error)) {
    if (!info.isDirectory()) throw badDir(dir, 'it is a file or device, not a directory');
    await ensureWritable(dir);
    await ensureReplaceable(dir, force);
    return { dir, real: await realpath(dir) };
  }
  if (errno(info) !== 'ENOENT' && errno(info) !== 'ENOTDIR') throw badDir(dir, `${errno(info) ?? info.message}`);
  const created = await makeDirs(dir);
  return { dir, real: await realpath(dir), created };
}

/** Creates `dir` and its missing parents one level at a time; returns the topmost one created. */
async function makeDirs(dir: string): Promise<string> {
  const missing: string[] = [];
  let existing = dir;
  for (;;) {
    const info = await stat(existing).catch(() => undefined);
    if (info) {
      if (!info.isDirectory()) throw badDir(dir, `${existing} is a file or device, not a directory`);
      break;
    }
    missing.unshift(existing);
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  await ensureWritable(existing, dir);
  for (const level of missing) {
    try {
      await mkdir(level);
    } catch (err) {
      if (errno(err) === 'EEXIST') continue;
      if (missing[0] !== level) await rm(missing[0]!, { recursive: true, force: true });
      throw badDir(dir, `${existing} does not accept new directories (${errno(err) ?? String(err)})`);
    }
  }
  return missing[0]!;
}

async function ensureWritable(existing: string, target = existing): Promise<void> {
  try {
    await access(existing, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw badDir(target, `${existing} is not writable (${errno(err) ?? String(err)})`);
  }
}

async function ensureReplaceable(dir: string, force: boolean): Promise<void> {
  const entries = await readdir(dir);
  if (entries.length === 0) return;
  if (!force) {
    throw new BadInputError(`directory ${dir} is not empty`, { flag: '--dir' }, 'choose another --dir, or pass --force to overwrite the lab in it');
  }
  const spec = await stat(join(dir, SPEC_FILE)).catch(() => undefined);
  if (!spec?.isFile()) {
    throw new BadInputError(`directory ${dir} is not empty and holds no ${SPEC_FILE}`, { flag: '--dir' }, '--force only overwrites a haplab lab directory; choose another --dir');
  }
  for (const entry of ['apps', 'haproxy', 'tsproxy']) await rm(join(dir, entry), { recursive: true, force: true });
}

export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Writes `content` at `rel` inside the lab, refusing any path that leaves it: by `..`, an
 * absolute name, a symlinked directory pointing elsewhere, or a symlink in the file's place.
 */
export async function writeInside(lab: PreparedDir, rel: string, content: string): Promise<void> {
  const file = resolve(lab.dir, rel);
  const outside = () => new BadInputError(`refusing to write ${JSON.stringify(rel)}: it resolves outside the lab directory ${lab.dir}`, {}, 'name files inside the app directory, without ".." or a leading /');
  if (!isInside(lab.dir, file) || file === lab.dir) throw outside();
  try {
    // One level at a time, each checked before the next is made under it: a recursive
    // mkdir would first create directories wherever a symlinked one points.
    let level = lab.dir;
    for (const part of relative(lab.dir, dirname(file)).split(sep).filter(Boolean)) {
      level = join(level, part);
      await mkdir(level).catch((err: unknown) => { if (errno(err) !== 'EEXIST') throw err; });
      if (!isInside(lab.real, await realpath(level))) throw outside();
    }
    const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof BadInputError) throw err;
    if (errno(err) === 'ELOOP') throw outside();
    throw new EnvironmentError(`cannot write ${file}: ${errno(err) ?? String(err)}`, 'check the free space and permissions of the lab directory');
  }
}
