/**
 * The lab's networks: an ordinary bridge for apps and proxies (its published ports are how
 * the host gets in), and for labs with source-address ACLs an INTERNAL client network with
 * the spec's subnet (no route out: traffic from 192.168.x can never leave the machine).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';
import { parseCidr, within } from './addresses.js';
import type { LabSpec } from '../../lab-schema/types.js';
import { clientNetworkName, labelsFor, labNetworkName, type LabIdentity } from './labels.js';

export interface LabNetworks {
  lab: string;
  /** Present when spec.clientSubnet is set. */
  clients?: string;
}

export function networksOf(spec: LabSpec, lab: string): LabNetworks {
  return spec.clientSubnet ? { lab: labNetworkName(lab), clients: clientNetworkName(lab) } : { lab: labNetworkName(lab) };
}

export async function createNetworks(docker: Docker, spec: LabSpec, id: LabIdentity): Promise<LabNetworks> {
  const names = networksOf(spec, id.lab);
  // The client network's fixed subnet first: the engine hands out pools in turn (172.17–31,
  // then 192.168.0.0/20 …), so after many networks an unpinned lab network made first could
  // take the very range the client network needs.
  if (names.clients) {
    try {
      await docker.createNetwork({
        Name: names.clients,
        Driver: 'bridge',
        Internal: true,
        CheckDuplicate: true,
        IPAM: { Driver: 'default', Config: [{ Subnet: spec.clientSubnet! }] },
        Labels: labelsFor(id, 'network'),
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (/overlap/i.test(message)) {
        throw new EnvironmentError(
          `the lab's client network ${spec.clientSubnet} overlaps a network the engine already has`,
          'take down the lab or network using that range (`haplab status`), or change clientSubnet in lab.yaml',
        );
      }
      throw err;
    }
  }
  await createNumberedNetwork(docker, { Name: names.lab, Driver: 'bridge', CheckDuplicate: true, Labels: labelsFor(id, 'network') });
  return names;
}

/**
 * Client networks pin their subnet, and the engine refuses a pinned subnet that overlaps a
 * network it numbered itself. It numbers from its pools in turn (172.17–31.0.0/16, then
 * 192.168.0.0/20, 192.168.16.0/20 …, then round again), so one lab's ordinary network lands
 * on the catalogue's client range about once a round, and ep04's `up` beside it would fail.
 * No lab network keeps a range that overlaps these.
 */
export const CLIENT_RANGES: readonly string[] = ['192.168.0.0/20'];

/** Bounds the retries when an engine's own pools lie mostly inside the ranges avoided. */
const MAX_PICKS = 40;

export interface NumberedNetwork {
  subnet: string;
  /** Subnets the engine offered first that overlapped `avoid`, in order. */
  declined: string[];
}

/**
 * A network the engine numbers, outside `avoid`. A pick inside is removed and the network
 * made again: the engine moves on to its next pool each time, so this walks past the range.
 * If the engine offers a subnet a second time it has nothing else free, and that one is kept
 * (the lab works; only a client network that needs the range would then be refused, with
 * its own message).
 */
export async function createNumberedNetwork(
  docker: Docker,
  options: Docker.NetworkCreateOptions,
  avoid: readonly string[] = CLIENT_RANGES,
): Promise<NumberedNetwork> {
  const ranges = avoid.map(parseCidr);
  const declined: string[] = [];
  for (let pick = 1; ; pick++) {
    const network = await docker.createNetwork(options);
    const subnet = await subnetOf(docker, options.Name);
    const offered = parseCidr(subnet);
    // Two CIDR blocks overlap only when one holds the other.
    const inside = ranges.some((r) => within(r, offered) || within(offered, r));
    if (!inside || declined.includes(subnet) || pick === MAX_PICKS) return { subnet, declined };
    declined.push(subnet);
    await network.remove();
  }
}

/** The IPv4 subnet (CIDR) the engine gave a network. */
export async function subnetOf(docker: Docker, network: string): Promise<string> {
  const info = (await docker.getNetwork(network).inspect()) as { IPAM?: { Config?: { Subnet?: string }[] } };
  const subnet = info.IPAM?.Config?.map((c) => c.Subnet).find((s): s is string => Boolean(s && s.includes('.')));
  if (!subnet) throw new EnvironmentError(`network ${network} has no IPv4 subnet`);
  return subnet;
}

/** Every IPv4 address the engine assigned on a network (containers, and its gateway). */
export async function assignedAddresses(docker: Docker, network: string): Promise<string[]> {
  const info = (await docker.getNetwork(network).inspect()) as {
    IPAM?: { Config?: { Gateway?: string }[] };
    Containers?: Record<string, { IPv4Address?: string }>;
  };
  const gateways = (info.IPAM?.Config ?? []).map((c) => c.Gateway).filter((g): g is string => Boolean(g));
  const containers = Object.values(info.Containers ?? {}).map((c) => c.IPv4Address?.split('/')[0]).filter((a): a is string => Boolean(a));
  return [...gateways, ...containers];
}

/** Tries after the first refusal, 0.25 s more apart each time: an endpoint may still be on its way out. */
const ACTIVE_ENDPOINT_RETRIES = 4;

/**
 * Removes one lab network; false when it was already gone.
 *
 * The engine keeps a count of each network's endpoints and refuses to remove a network whose
 * count is not zero. Debian's Docker 20.10 lost that count once in CI: a lab's 11 containers
 * were force-removed at the same moment, and the count stayed at 3 with no container attached;
 * only restarting the engine cleared it. So this runtime starts containers and removes them
 * one at a time (up.ts, teardown.ts), and a network refused anyway is reported in one line
 * that says which of the two it is: a container haplab did not make is still attached (never
 * touched: it is not haplab's), or the engine's count is wrong.
 */
export async function removeLabNetwork(docker: Docker, id: string, name: string): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await docker.getNetwork(id).remove();
      return true;
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      const message = err instanceof Error ? err.message : String(err);
      const activeEndpoints = (status === 403 || status === 409) && /active endpoints/i.test(message);
      if (status === 404 || (status === 409 && !activeEndpoints)) return false;
      if (!activeEndpoints) throw err;
      const attached = await attachedNames(docker, id);
      if (attached.length > 0) {
        throw new EnvironmentError(
          `network ${name} is still joined by ${attached.join(', ')}, which haplab did not make, so it was left`,
          `disconnect it (\`docker network disconnect ${name} ${attached[0]}\`), then run \`haplab down --all\` again`,
        );
      }
      if (attempt === ACTIVE_ENDPOINT_RETRIES) {
        throw new EnvironmentError(
          `network ${name} has no container attached, but the Docker engine still counts endpoints on it and refuses to remove it`,
          'restart the Docker engine (`sudo systemctl restart docker`, or restart Docker Desktop), which recounts them, then run `haplab down --all`',
        );
      }
      await sleep(250 * (attempt + 1));
    }
  }
}

/** Names of the containers (or stale endpoints) the engine lists on a network. */
async function attachedNames(docker: Docker, id: string): Promise<string[]> {
  const info = (await docker.getNetwork(id).inspect().catch(() => ({}))) as { Containers?: Record<string, { Name?: string }> };
  return Object.entries(info.Containers ?? {}).map(([containerId, c]) => c.Name || containerId.slice(0, 12));
}
