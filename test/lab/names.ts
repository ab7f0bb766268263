// Naming and addressing of lab resources. Pure: no I/O.
//
// Every kernel object a lab creates carries a findable prefix, so `lab down` can remove a lab
// (or all labs) from what the kernel reports even when the state file is gone:
//   network namespaces  dmlab-<lab>-<host>
//   links (bridges, root-side veths)  dml<slot>...  with ifalias "dmlab:<lab>"
//   mounts              under /run/dmlab/<lab>/ (tmpfs source "dmlab-<lab>")
// Interface names are limited to 15 characters (IFNAMSIZ), hence the short link names.

import * as path from 'node:path';

export const NETNS_PREFIX = 'dmlab-';
export const LINK_ALIAS_PREFIX = 'dmlab:';
export const STATE_ROOT = '/run/dmlab';
export const DATA_ROOT = '/var/lib/dmlab';
/** Where each host sees its private directory. */
export const HOST_DM = '/dm';
/** The host's data disk (a small tmpfs, so a test can fill it). */
export const HOST_DATA = '/dm/data';

/** 128 slots of two /24 networks each fill 198.18.0.0/16, inside the 198.18.0.0/15 test range (RFC 2544). */
export const SLOT_COUNT = 128;
export const MAX_HOSTS = 200;

const LAB_NAME = /^[a-z][a-z0-9]{0,15}$/;
const HOST_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

export function checkLabName(name: string): void {
  if (!LAB_NAME.test(name)) {
    throw new Error(
      `lab name "${name}" is invalid: use 1-16 lower-case letters and digits, starting with a letter`,
    );
  }
}

export function checkHostName(name: string): void {
  if (!HOST_NAME.test(name)) {
    throw new Error(
      `lab host name "${name}" is invalid: use letters, digits and "_" (at most 32), starting with a letter`,
    );
  }
}

export function netnsName(lab: string, host: string): string {
  return `${NETNS_PREFIX}${lab}-${host}`;
}

/** The lab a namespace name belongs to, or undefined if it is not one of ours. */
export function labOfNetns(ns: string): string | undefined {
  if (!ns.startsWith(NETNS_PREFIX)) return undefined;
  const rest = ns.slice(NETNS_PREFIX.length);
  const dash = rest.indexOf('-');
  return dash > 0 ? rest.slice(0, dash) : undefined;
}

export function linkAlias(lab: string): string {
  return `${LINK_ALIAS_PREFIX}${lab}`;
}

export type Network = 'public' | 'private';
export const NETWORKS: readonly Network[] = ['public', 'private'];
const NET_TAG: Record<Network, string> = { public: 'pub', private: 'prv' };

export function bridgeName(slot: number, net: Network): string {
  return `dml${slot}${NET_TAG[net]}`;
}

/** Root-namespace end of a host's veth pair, e.g. dml12h3pub. */
export function vethName(slot: number, hostIndex: number, net: Network): string {
  return `dml${slot}h${hostIndex}${NET_TAG[net]}`;
}

/** The interface name inside the host's namespace. */
export function hostIfName(net: Network): string {
  return net === 'public' ? 'pub0' : 'priv0';
}

/** private = 198.18.(2*slot).0/24, public = 198.18.(2*slot+1).0/24 */
export function subnet(slot: number, net: Network): string {
  return `198.18.${2 * slot + (net === 'public' ? 1 : 0)}.0/24`;
}

export function hostAddress(slot: number, hostIndex: number, net: Network): string {
  return `198.18.${2 * slot + (net === 'public' ? 1 : 0)}.${10 + hostIndex}`;
}

/** The runner's own address on each bridge, so tests in the root namespace reach every host. */
export function gatewayAddress(slot: number, net: Network): string {
  return `198.18.${2 * slot + (net === 'public' ? 1 : 0)}.254`;
}

/** A stable first choice of slot for a lab name (FNV-1a), so a lab keeps its addresses across runs. */
export function preferredSlot(lab: string): number {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(lab)) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % SLOT_COUNT;
}

export interface LabPaths {
  stateDir: string;
  stateFile: string;
  /** A private tmpfs holding the per-host mount-namespace files (must not be a shared mount). */
  nsDir: string;
  dataDir: string;
  privateKey: string;
  knownHosts: string;
}

export function labPaths(lab: string): LabPaths {
  const stateDir = path.join(STATE_ROOT, lab);
  return {
    stateDir,
    stateFile: path.join(stateDir, 'state.json'),
    nsDir: path.join(stateDir, 'ns'),
    dataDir: path.join(DATA_ROOT, lab),
    privateKey: path.join(stateDir, 'id_ed25519'),
    knownHosts: path.join(stateDir, 'known_hosts'),
  };
}

export interface HostPaths {
  dir: string;
  mountNs: string;
  /** The directory bind-mounted at /dm inside the host. */
  dm: string;
  /** Bind-mounted at /root and /tmp inside the host. */
  home: string;
  tmp: string;
  sshdConfig: string;
  hostKey: string;
  pidFile: string;
  sshdLog: string;
  authorizedKeys: string;
}

export function hostPaths(lab: string, host: string): HostPaths {
  const p = labPaths(lab);
  const dir = path.join(p.stateDir, 'hosts', host);
  return {
    dir,
    mountNs: path.join(p.nsDir, host),
    dm: path.join(p.dataDir, host, 'dm'),
    home: path.join(p.dataDir, host, 'root'),
    tmp: path.join(p.dataDir, host, 'tmp'),
    sshdConfig: path.join(dir, 'sshd_config'),
    hostKey: path.join(dir, 'ssh_host_ed25519_key'),
    pidFile: path.join(dir, 'sshd.pid'),
    sshdLog: path.join(dir, 'sshd.log'),
    authorizedKeys: path.join(dir, 'authorized_keys'),
  };
}
