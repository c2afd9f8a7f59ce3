/** The questions `haplab new` asks on a TTY for whatever its flags did not say. */
import { describeAlgorithm, listCatalogue } from '../lab-schema/catalogue.js';
import { checkWeightCount, isAclLab, MAX_SERVERS, parseServerCount, parseWeights, type LabChoices } from '../lab-schema/customize.js';
import { ALGORITHMS, HTTP_ONLY_ALGORITHMS, primaryBackend, type LabSpec, type ProxyChoice } from '../lab-schema/types.js';
import { backendModeOf } from '../lab-schema/rule-words.js';
import { HaplabError } from '../errors.js';

/** @inquirer/prompts takes ~140 ms to load: only an interactive `new` asks, so only it loads them. */
const prompts = () => import('@inquirer/prompts');

export async function askEpisode(): Promise<string> {
  const entries = await listCatalogue();
  return (await prompts()).select({
    message: 'Which episode?',
    choices: entries.map((e) => ({ name: `${e.id}  ${e.title}  (${e.algorithm})`, value: e.id })),
  });
}

/** Asks only what `given` leaves open; ACL labs have no balancing questions. */
export async function askChoices(spec: LabSpec, given: LabChoices): Promise<LabChoices> {
  const choices: LabChoices = { ...given };
  if (!isAclLab(spec)) {
    const backend = primaryBackend(spec);
    // A TCP lab cannot hash HTTP: HAProxy would fall back to roundrobin, so those are not offered.
    const offered = backendModeOf(spec, backend) === 'tcp' ? ALGORITHMS.filter((a) => !(HTTP_ONLY_ALGORITHMS as readonly string[]).includes(a)) : ALGORITHMS;
    choices.algorithm ??= await (await prompts()).select({
      message: 'Balancing algorithm?',
      default: backend.balance,
      choices: offered.map((a) => ({ name: a === backend.balance ? `${a} (the episode's)` : a, value: a })),
    });
    choices.servers ??= parseServerCount(await (await prompts()).input({
      message: `How many servers (1-${MAX_SERVERS})?`,
      default: String(backend.servers.length),
      validate: (v) => valid(() => parseServerCount(v)),
    }));
    if (!choices.weights) {
      const current = backend.servers.map((s) => s.weight);
      const servers = choices.servers;
      const defaults = Array.from({ length: servers }, (_, i) => current[i] ?? 1).join(',');
      choices.weights = parseWeights(await (await prompts()).input({
        message: 'Weights, comma-separated (0-256; 0 takes no new traffic)?',
        default: defaults,
        validate: (v) => valid(() => checkWeightCount(parseWeights(v), servers)),
      }));
    }
  }
  choices.proxy ??= await (await prompts()).select<ProxyChoice>({
    message: 'Which proxy?',
    default: spec.proxy,
    choices: [
      { name: 'HAProxy', value: 'haproxy' },
      { name: "haplab's TypeScript proxy (same haproxy.cfg)", value: 'ts' },
      { name: 'both, side by side', value: 'both' },
    ],
  });
  return choices;
}

function valid(parse: () => unknown): true | string {
  try {
    parse();
    return true;
  } catch (err) {
    return err instanceof HaplabError ? err.message : String(err);
  }
}

export { describeAlgorithm };
