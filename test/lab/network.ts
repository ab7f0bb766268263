// The lab's two networks: one bridge per network in the root namespace (the runner gets .254 on
// each, so tests reach every host), and one veth pair per host and network. Hosts get no default
// route: they reach only the two lab subnets.

import { ipBatch, run } from './run';
import {
  NETWORKS,
  SLOT_COUNT,
  bridgeName,
  gatewayAddress,
  hostAddress,
  hostIfName,
  linkAlias,
  subnet,
  vethName,
  type Network,
} from './names';

/** Addresses already configured in the root namespace, to avoid a slot that overlaps one. */
async function rootAddresses(): Promise<string[]> {
  const res = await run(['ip', '-j', '-4', 'addr', 'show']);
  const ifs = JSON.parse(res.stdout) as { addr_info?: { local?: string }[] }[];
  return ifs.flatMap((i) => (i.addr_info ?? []).map((a) => a.local ?? '')).filter(Boolean);
}

function inSubnet(addr: string, cidr: string): boolean {
  const prefix = cidr.split('.').slice(0, 3).join('.') + '.';
  return addr.startsWith(prefix);
}

/**
 * Claim a free slot and create its two bridges. Creating the public bridge is the claim: `ip link add`
 * fails if the name exists, so two labs coming up at once never share a slot.
 */
export async function createBridges(lab: string, preferred: number): Promise<number> {
  const taken = await rootAddresses();
  for (let i = 0; i < SLOT_COUNT; i++) {
    const slot = (preferred + i) % SLOT_COUNT;
    if (taken.some((a) => NETWORKS.some((n) => inSubnet(a, subnet(slot, n))))) continue;
    const pub = await run(['ip', 'link', 'add', bridgeName(slot, 'public'), 'type', 'bridge'], {
      allowFailure: true,
    });
    if (pub.code !== 0) continue; // in use by another lab
    const prv = await run(['ip', 'link', 'add', bridgeName(slot, 'private'), 'type', 'bridge'], {
      allowFailure: true,
    });
    if (prv.code !== 0) {
      await run(['ip', 'link', 'del', bridgeName(slot, 'public')], { allowFailure: true });
      continue;
    }
    const lines: string[] = [];
    for (const net of NETWORKS) {
      const br = bridgeName(slot, net);
      // forward_delay 0: a restored (cut) port forwards at once; STP is off by default.
      lines.push(`link set dev ${br} alias ${linkAlias(lab)} type bridge forward_delay 0`);
      lines.push(`addr add ${gatewayAddress(slot, net)}/24 dev ${br}`);
      lines.push(`link set dev ${br} up`);
    }
    await ipBatch(lines);
    return slot;
  }
  throw new Error(`no free lab slot in 198.18.0.0/16: remove unused labs with "npm run lab -- down"`);
}

export interface HostNet {
  netns: string;
  index: number;
}

/** Create the host namespaces and wire each to both bridges. */
export async function createHostNetworks(
  lab: string,
  slot: number,
  hosts: readonly HostNet[],
): Promise<void> {
  const root: string[] = [];
  for (const h of hosts) root.push(`netns add ${h.netns}`);
  for (const h of hosts) {
    for (const net of NETWORKS) {
      const veth = vethName(slot, h.index, net);
      root.push(`link add ${veth} type veth peer name ${hostIfName(net)} netns ${h.netns}`);
      root.push(`link set dev ${veth} alias ${linkAlias(lab)} master ${bridgeName(slot, net)} up`);
    }
  }
  await ipBatch(root);
  await Promise.all(
    hosts.map((h) =>
      ipBatch(
        [
          'link set dev lo up',
          ...NETWORKS.flatMap((net) => [
            `addr add ${hostAddress(slot, h.index, net)}/24 dev ${hostIfName(net)}`,
            `link set dev ${hostIfName(net)} up`,
          ]),
        ],
        h.netns,
      ),
    ),
  );
  // A host's outgoing connections take local ports from its namespace's ephemeral range (Linux
  // default 32768-60999), where the lab's specs put MAL and watcher ports (331xx, 521xx): a
  // connection holding one makes a later listen on it fail ("port ... already in use"). Each
  // host's range is moved to EPHEMERAL_PORTS, which no spec of the lab uses. Best effort: where
  // /proc/sys is read-only the default range stays.
  await Promise.all(
    hosts.map((h) =>
      run(
        [
          'ip',
          'netns',
          'exec',
          h.netns,
          'sh',
          '-c',
          `echo '${EPHEMERAL_PORTS}' > /proc/sys/net/ipv4/ip_local_port_range`,
        ],
        { allowFailure: true },
      ),
    ),
  );
}

/** The lab hosts' ephemeral port range: no spec or example of the lab uses a port in it. */
export const EPHEMERAL_PORTS = '34000 51999';

/** Take a host's links down (cut) or up (restore), on the given networks. */
export async function setHostLinks(
  slot: number,
  hostIndex: number,
  nets: readonly Network[],
  state: 'up' | 'down',
): Promise<void> {
  await ipBatch(nets.map((net) => `link set dev ${vethName(slot, hostIndex, net)} ${state}`));
}

export async function hostLinkState(slot: number, hostIndex: number, net: Network): Promise<'up' | 'down'> {
  const res = await run(['ip', '-j', 'link', 'show', 'dev', vethName(slot, hostIndex, net)]);
  const [link] = JSON.parse(res.stdout) as { flags?: string[] }[];
  return link?.flags?.includes('UP') ? 'up' : 'down';
}
