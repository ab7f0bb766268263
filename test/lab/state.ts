// A lab's description (what tests need to reach it) and its state file. The descriptor is plain JSON,
// so the vitest global setup can hand the shared lab to test workers (project.provide / inject).

import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { labPaths } from './names';

export interface LabHostInfo {
  name: string;
  index: number;
  /** Address on the public network (where SSH goes by default; DM's MAL_INST_HOST). */
  public: string;
  /** Address on the private network (DM's MAL_HOST). */
  private: string;
  netns: string;
  /** /run/netns/<netns> */
  netnsFile: string;
  mountNsFile: string;
  /** Host directory bind-mounted at /dm inside the host. */
  dmDir: string;
  sshPort: number;
  /** The host key's public half, as in a known_hosts line after the host pattern. */
  hostKey: string;
  maxSessions: number;
  dataDiskMiB: number;
}

/** Who created a lab. A lab whose owner process is gone is stale and may be swept. */
export interface LabOwner {
  pid: number;
  /** /proc/<pid>/stat start time, so a reused pid is not mistaken for the owner. */
  startTime: string;
}

export interface LabDescriptor {
  name: string;
  slot: number;
  /** null: made by `npm run lab -- up`, kept until `down`. */
  owner: LabOwner | null;
  createdAt: string;
  user: string;
  /** Private key (no passphrase) authorized on every host. */
  privateKeyPath: string;
  /** known_hosts listing every host key under both of its addresses. */
  knownHostsPath: string;
  subnets: { public: string; private: string };
  /** The runner's addresses on the two bridges. */
  gateways: { public: string; private: string };
  hosts: LabHostInfo[];
}

function procStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" that closes comm; starttime is field 22 overall, 20th after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function currentOwner(): LabOwner {
  return { pid: process.pid, startTime: procStartTime(process.pid) ?? '' };
}

export function ownerAlive(owner: LabOwner): boolean {
  return procStartTime(owner.pid) === owner.startTime;
}

export async function writeState(desc: LabDescriptor): Promise<void> {
  const file = labPaths(desc.name).stateFile;
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, JSON.stringify(desc, null, 2) + '\n');
  await fsp.rename(tmp, file);
}

export async function readState(lab: string): Promise<LabDescriptor | undefined> {
  try {
    return JSON.parse(await fsp.readFile(labPaths(lab).stateFile, 'utf8')) as LabDescriptor;
  } catch {
    return undefined;
  }
}
