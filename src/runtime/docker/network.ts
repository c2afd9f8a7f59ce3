/**
 * The lab's networks: an ordinary bridge for apps and proxies (its published ports are how
 * the host gets in), and for labs with source-address ACLs an INTERNAL client network with
 * the spec's subnet (no route out: traffic from 192.168.x can never leave the machine).
 */
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
