import type { Command } from 'commander';
import { resolve } from 'node:path';
import { BadInputError } from '../errors.js';
import { labNameOf, writeLab } from '../render/lab.js';
import { describeAlgorithm, loadEpisode } from '../lab-schema/catalogue.js';
import { loadSpecFile } from '../lab-schema/load.js';
import { normalizeSpec } from '../lab-schema/normalize.js';
import { customizeSpec, parseAlgorithm, parseServerCount, parseWeights, type LabChoices } from '../lab-schema/customize.js';
import { primaryBackend, type ImageFlavor, type ProxyChoice } from '../lab-schema/types.js';
import { askChoices, askEpisode } from './prompts.js';
import { action } from './run-command.js';

interface NewFlags {
  dir?: string;
  algorithm?: string;
  servers?: string;
  weights?: string;
  proxy?: string;
  images?: string;
  yes?: boolean;
  force?: boolean;
  spec?: string;
}

export function isInteractive(yes: boolean | undefined): boolean {
  return !yes && Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

export function registerNewCommand(program: Command): void {
  program
    .command('new')
    .argument('[episode]', 'episode id, e.g. ep09 (see haplab list)')
    .description('scaffold a lab directory from an episode')
    .option('--dir <dir>', 'where to write the lab (default: ./<episode>)')
    .option('--algorithm <name>', 'balancing algorithm, e.g. roundrobin, source, uri, random(2), hdr(User-Agent)')
    .option('--servers <n>', 'number of servers in the balanced backend')
    .option('--weights <list>', 'server weights, one per server, e.g. 2,1,3 (0..256; not all 0)')
    .option('--proxy <which>', 'haproxy | ts | both')
    .option('--images <flavor>', 'official | offline: pin the base images in lab.yaml (default: `up` chooses per machine)')
    .option('-y, --yes', 'take the episode defaults for anything not given; ask nothing')
    .option('--force', 'overwrite an existing lab directory')
    .option('--spec <file>', 'scaffold from your own lab spec (YAML, the format of labs/*.yaml) instead of an episode')
    .action(action(async (episode: string | undefined, flags: NewFlags) => {
      const interactive = isInteractive(flags.yes);
      if (episode && flags.spec) {
        throw new BadInputError(`both episode ${JSON.stringify(episode)} and --spec ${flags.spec} given`, { flag: '--spec' }, 'give either an episode (haplab new ep09) or your own spec (haplab new --spec FILE), not both');
      }
      if (!episode && !flags.spec && !interactive) throw new BadInputError('no episode given', {}, 'name one, e.g. `haplab new ep09 --yes` (see haplab list)');
      const given = parseFlags(flags);
      const base = flags.spec
        ? normalizeSpec(await loadSpecFile(flags.spec))
        : await loadEpisode(episode ?? (await askEpisode()), { flag: 'EPISODE' });
      const id = base.id;
      const choices = interactive ? await askChoices(base, given) : given;
      const spec = customizeSpec(base, choices);
      const dir = resolve(flags.dir ?? id);
      const written = await writeLab(spec, dir, { force: flags.force });
      const out = process.stdout;
      out.write(`wrote lab ${labNameOf(dir)} (${spec.id}: ${spec.title}, ${describeAlgorithm(spec)}, proxy ${spec.proxy}) to ${dir}: ${written.length} files\n`);
      for (const s of primaryBackend(spec).servers.filter((x) => x.weight === 0)) {
        out.write(`note: server ${s.name} has weight 0: HAProxy keeps it but sends it no new traffic\n`);
      }
      for (const note of spec.notes ?? []) out.write(`note: ${note}\n`);
      out.write(`next: haplab check ${flags.dir ?? id}   (or: haplab up ${flags.dir ?? id})\n`);
    }));
}

function parseFlags(flags: NewFlags): LabChoices {
  const choices: LabChoices = {};
  if (flags.algorithm !== undefined) {
    parseAlgorithm(flags.algorithm); // refuses an empty or malformed value before anything is read or written
    choices.algorithm = flags.algorithm;
  }
  if (flags.servers !== undefined) choices.servers = parseServerCount(flags.servers);
  if (flags.weights !== undefined) choices.weights = parseWeights(flags.weights);
  if (flags.proxy !== undefined) {
    if (!['haproxy', 'ts', 'both'].includes(flags.proxy)) throw new BadInputError(`unknown proxy ${JSON.stringify(flags.proxy)}`, { flag: '--proxy' }, 'use haproxy, ts or both');
    choices.proxy = flags.proxy as ProxyChoice;
  }
  if (flags.images !== undefined) {
    if (!['official', 'offline'].includes(flags.images)) throw new BadInputError(`unknown image flavor ${JSON.stringify(flags.images)}`, { flag: '--images' }, 'use official or offline');
    choices.images = flags.images as ImageFlavor;
  }
  return choices;
}
