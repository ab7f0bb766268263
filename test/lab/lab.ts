// A lab: named hosts in miniature. Composes the one-job modules next to it.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { labAvailability } from './availability';
import { leftovers, listLabNames, removeLab, sweepStaleLabs } from './cleanup';
import { fillDisk, freeBytes, freeDisk, killMatching, matchingProcesses } from './faults';
import { hostRun, processesIn, type HostNs, type ProcInfo } from './host-exec';
import { createHostMountNs, createNsDir } from './mountns';
import {
  MAX_HOSTS,
  NETWORKS,
  checkHostName,
  checkLabName,
  gatewayAddress,
  hostAddress,
  hostPaths,
  labPaths,
  netnsName,
  preferredSlot,
  subnet,
  type Network,
} from './names';
import { createBridges, createHostNetworks, hostLinkState, setHostLinks } from './network';
import type { RunOptions, RunResult } from './run';
import { generateKey, sshdPid, startSshd, stopSshd, writeSshdConfig, type SshdSettings } from './sshd';
import { currentOwner, readState, writeState, type LabDescriptor, type LabHostInfo } from './state';

export interface LabHostSpec {
  name: string;
  /** sshd MaxSessions on this host. @default 10 (OpenSSH's default) */
  maxSessions?: number;
  /** Size of the tmpfs at /dm/data. @default 128 */
  dataDiskMiB?: number;
  /** Extra sshd_config lines. */
  sshdConfig?: readonly string[];
}

export interface LabOptions {
  /** 1-16 lower-case letters and digits; names the namespaces (dmlab-<name>-<host>). */
  name: string;
  hosts: readonly (string | LabHostSpec)[];
  /** Address slot (0-127): private 198.18.(2*slot).0/24, public 198.18.(2*slot+1).0/24. @default from the name */
  slot?: number;
  /** Keep the lab until `down` even when the creating process exits (the CLI's `up`). @default false */
  persistent?: boolean;
}

export class Lab {
  private constructor(public readonly descriptor: LabDescriptor) {}

  get name(): string {
    return this.descriptor.name;
  }

  get hosts(): readonly LabHostInfo[] {
    return this.descriptor.hosts;
  }

  /** Bring a lab up, first removing anything left of a lab of the same name (and of crashed runs). */
  static async up(opts: LabOptions): Promise<Lab> {
    const avail = labAvailability();
    if (!avail.ok) throw new Error(avail.reason);
    checkLabName(opts.name);
    const specs = opts.hosts.map((h) => (typeof h === 'string' ? { name: h } : h));
    if (specs.length === 0 || specs.length > MAX_HOSTS) throw new Error(`a lab needs 1-${MAX_HOSTS} hosts`);
    specs.forEach((h) => checkHostName(h.name));
    if (new Set(specs.map((h) => h.name)).size !== specs.length)
      throw new Error('lab host names must be unique');

    await removeLab(opts.name);
    await sweepStaleLabs();

    const name = opts.name;
    const p = labPaths(name);
    const desc: LabDescriptor = {
      name,
      slot: -1,
      owner: opts.persistent ? null : currentOwner(),
      createdAt: new Date().toISOString(),
      user: 'root',
      privateKeyPath: p.privateKey,
      knownHostsPath: p.knownHosts,
      subnets: { public: '', private: '' },
      gateways: { public: '', private: '' },
      hosts: [],
    };
    // The state file comes first, so a sweeper never mistakes a lab coming up for an orphan.
    await writeState(desc);
    try {
      await generateKey(p.privateKey, `dmlab-${name}`);
      const slot = await createBridges(name, opts.slot ?? preferredSlot(name));
      desc.slot = slot;
      desc.subnets = { public: subnet(slot, 'public'), private: subnet(slot, 'private') };
      desc.gateways = { public: gatewayAddress(slot, 'public'), private: gatewayAddress(slot, 'private') };
      desc.hosts = specs.map((h, index) => {
        const hp = hostPaths(name, h.name);
        const netns = netnsName(name, h.name);
        return {
          name: h.name,
          index,
          public: hostAddress(slot, index, 'public'),
          private: hostAddress(slot, index, 'private'),
          netns,
          netnsFile: `/run/netns/${netns}`,
          mountNsFile: hp.mountNs,
          dmDir: hp.dm,
          sshPort: 22,
          hostKey: '',
          maxSessions: h.maxSessions ?? 10,
          dataDiskMiB: h.dataDiskMiB ?? 128,
        };
      });
      await writeState(desc);
      await createNsDir(p.nsDir, `dmlab-${name}`);
      await createHostNetworks(name, slot, desc.hosts);
      const pub = await fs.readFile(`${p.privateKey}.pub`, 'utf8');
      await Promise.all(
        desc.hosts.map(async (h, i) => {
          const hp = hostPaths(name, h.name);
          await fs.mkdir(hp.dir, { recursive: true, mode: 0o755 });
          await createHostMountNs({
            nsFile: hp.mountNs,
            nsDir: p.nsDir,
            dmDir: hp.dm,
            homeDir: hp.home,
            tmpDir: hp.tmp,
            dataDiskMiB: h.dataDiskMiB,
            dataLabel: `dmlab-${name}-${h.name}-data`,
          });
          await generateKey(hp.hostKey, `dmlab-${name}-${h.name}`);
          h.hostKey = (await fs.readFile(`${hp.hostKey}.pub`, 'utf8'))
            .trim()
            .split(/\s+/)
            .slice(0, 2)
            .join(' ');
          await fs.writeFile(hp.authorizedKeys, pub, { mode: 0o600 });
          await writeSshdConfig(hp, [h.public, h.private], sshdSettings(h, specs[i]?.sshdConfig));
          await startSshd(nsOf(h), hp);
        }),
      );
      await fs.writeFile(
        p.knownHosts,
        desc.hosts.map((h) => `${h.public},${h.private} ${h.hostKey}\n`).join(''),
        { mode: 0o600 },
      );
      await writeState(desc);
      return new Lab(desc);
    } catch (e) {
      await removeLab(name).catch(() => undefined);
      throw e;
    }
  }

  /** A handle on a lab that is already up (e.g. the shared lab a global setup started). */
  static attach(descriptor: LabDescriptor): Lab {
    return new Lab(descriptor);
  }

  static async load(name: string): Promise<Lab | undefined> {
    const d = await readState(name);
    return d && d.slot >= 0 ? new Lab(d) : undefined;
  }

  /** Remove a lab by name, whatever state it is in. */
  static down(name: string): Promise<void> {
    return removeLab(name);
  }

  static list(): Promise<string[]> {
    return listLabNames();
  }

  down(): Promise<void> {
    return removeLab(this.name);
  }

  leftovers(): Promise<string[]> {
    return leftovers(this.name);
  }

  host(name: string): LabHostInfo {
    const h = this.descriptor.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`lab ${this.name} has no host ${name} (hosts: ${this.hostNames().join(', ')})`);
    return h;
  }

  hostNames(): string[] {
    return this.descriptor.hosts.map((h) => h.name);
  }

  /** Run a command on the host (inside its network and mount namespaces). */
  exec(host: string, argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return hostRun(nsOf(this.host(host)), argv, opts);
  }

  sh(host: string, script: string, opts?: RunOptions): Promise<RunResult> {
    return this.exec(host, ['sh', '-c', script], opts);
  }

  /** Path on the runner of a file under the host's /dm (e.g. "/dm/x" -> <dmDir>/x). */
  dmPath(host: string, p: string): string {
    if (p !== '/dm' && !p.startsWith('/dm/')) throw new Error(`${p} is not under /dm`);
    return path.join(this.host(host).dmDir, p.slice('/dm'.length));
  }

  processes(host: string): ProcInfo[] {
    const h = this.host(host);
    return processesIn([h.netnsFile, h.mountNsFile]);
  }

  // ---- faults ----

  /** Cut the host off the network (both networks unless given): its links go down, packets are lost. */
  cut(host: string, nets: readonly Network[] = NETWORKS): Promise<void> {
    return setHostLinks(this.descriptor.slot, this.host(host).index, nets, 'down');
  }

  restore(host: string, nets: readonly Network[] = NETWORKS): Promise<void> {
    return setHostLinks(this.descriptor.slot, this.host(host).index, nets, 'up');
  }

  linkState(host: string, net: Network): Promise<'up' | 'down'> {
    return hostLinkState(this.descriptor.slot, this.host(host).index, net);
  }

  /** Kill the host's processes whose command line matches; returns their pids. */
  kill(host: string, pattern: string | RegExp, signal: NodeJS.Signals = 'SIGKILL'): number[] {
    return killMatching(nsOf(this.host(host)), pattern, signal);
  }

  findProcesses(host: string, pattern: string | RegExp): ProcInfo[] {
    return matchingProcesses(nsOf(this.host(host)), pattern);
  }

  /** Fill the host's data disk (/dm/data); returns the bytes left free (0). */
  fillDisk(host: string): Promise<number> {
    return fillDisk(nsOf(this.host(host)));
  }

  freeDisk(host: string): Promise<void> {
    return freeDisk(nsOf(this.host(host)));
  }

  freeBytes(host: string, dir?: string): Promise<number> {
    return freeBytes(nsOf(this.host(host)), dir);
  }

  // ---- sshd ----

  /** Stop the host's listening sshd (open sessions survive, as on a real host). */
  stopSshd(host: string): Promise<void> {
    return stopSshd(hostPaths(this.name, this.host(host).name));
  }

  /** (Re)start sshd, optionally with new settings (e.g. a lower MaxSessions). */
  async startSshd(host: string, settings?: Partial<SshdSettings>): Promise<void> {
    const h = this.host(host);
    const hp = hostPaths(this.name, h.name);
    await stopSshd(hp);
    if (settings?.maxSessions !== undefined) h.maxSessions = settings.maxSessions;
    await writeSshdConfig(hp, [h.public, h.private], sshdSettings(h, settings?.extraConfig));
    await startSshd(nsOf(h), hp);
  }

  sshdPid(host: string): Promise<number | undefined> {
    return sshdPid(hostPaths(this.name, this.host(host).name));
  }

  /** Authorize another public key (an authorized_keys line) on a host. */
  async addAuthorizedKey(host: string, publicKeyLine: string): Promise<void> {
    await fs.appendFile(
      hostPaths(this.name, this.host(host).name).authorizedKeys,
      publicKeyLine.trim() + '\n',
    );
  }

  /** The host key's public file (what `ssh-keygen -lf` would read on the host). */
  hostKeyFile(host: string): string {
    return `${hostPaths(this.name, this.host(host).name).hostKey}.pub`;
  }

  sshdLog(host: string): string {
    return hostPaths(this.name, this.host(host).name).sshdLog;
  }
}

function nsOf(h: LabHostInfo): HostNs {
  return { netnsFile: h.netnsFile, mountNsFile: h.mountNsFile };
}

function sshdSettings(h: LabHostInfo, extra?: readonly string[]): SshdSettings {
  return extra ? { maxSessions: h.maxSessions, extraConfig: extra } : { maxSessions: h.maxSessions };
}
