// Finding and removing labs from what the kernel and the file system report, not only from state
// files: after a crashed test run the state may be half written, yet `down` must leave nothing behind.

import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { killAllIn } from './host-exec';
import { ipBatch, run } from './run';
import { DATA_ROOT, LINK_ALIAS_PREFIX, STATE_ROOT, labOfNetns, labPaths, linkAlias } from './names';
import { ownerAlive, readState } from './state';

const NETNS_DIR = '/run/netns';

function readdirSafe(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

async function taggedLinks(): Promise<{ name: string; lab: string }[]> {
  const res = await run(['ip', '-j', 'link', 'show']);
  const links = JSON.parse(res.stdout) as { ifname: string; ifalias?: string }[];
  return links
    .filter((l) => l.ifalias?.startsWith(LINK_ALIAS_PREFIX))
    .map((l) => ({ name: l.ifname, lab: (l.ifalias ?? '').slice(LINK_ALIAS_PREFIX.length) }));
}

/** Mount points at or under a directory, deepest first. */
function mountsUnder(dir: string): string[] {
  const lines = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const points = lines
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\040/g, ' '))
    .filter((p) => p === dir || p.startsWith(dir + '/'));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Every lab that has anything left on this machine. */
export async function listLabNames(): Promise<string[]> {
  const names = new Set<string>();
  for (const d of readdirSafe(STATE_ROOT)) names.add(d);
  for (const d of readdirSafe(DATA_ROOT)) names.add(d);
  for (const ns of readdirSafe(NETNS_DIR)) {
    const lab = labOfNetns(ns);
    if (lab) names.add(lab);
  }
  for (const l of await taggedLinks()) names.add(l.lab);
  for (const m of mountsUnder(STATE_ROOT)) {
    const lab = path.relative(STATE_ROOT, m).split('/')[0];
    if (lab) names.add(lab);
  }
  return [...names].sort();
}

export function labNetnsNames(lab: string): string[] {
  return readdirSafe(NETNS_DIR).filter((ns) => labOfNetns(ns) === lab);
}

/** Remove everything of one lab: processes, links, namespaces, mounts, directories. Idempotent. */
export async function removeLab(lab: string): Promise<void> {
  const p = labPaths(lab);
  const netns = labNetnsNames(lab);
  const nsFiles = [
    ...netns.map((n) => path.join(NETNS_DIR, n)),
    ...readdirSafe(p.nsDir).map((f) => path.join(p.nsDir, f)),
  ];
  // 1. Processes first: a namespace lives as long as a process is in it.
  await killAllIn(nsFiles);
  // 2. Links before namespaces: deleting a veth's root end removes its peer at once, whereas a
  //    deleted namespace frees its veths asynchronously (a quick re-`up` would then collide).
  const links = (await taggedLinks()).filter((l) => l.lab === lab).map((l) => l.name);
  await ipBatch(links.map((l) => `link del dev ${l}`)).catch(async () => {
    for (const l of links) await run(['ip', 'link', 'del', 'dev', l], { allowFailure: true });
  });
  for (const n of netns) await run(['ip', 'netns', 'del', n], { allowFailure: true });
  // 3. Mounts (the nsfs files and their tmpfs), deepest first.
  for (const m of mountsUnder(p.stateDir)) {
    const r = await run(['umount', m], { allowFailure: true });
    if (r.code !== 0) await run(['umount', '-l', m], { allowFailure: true });
  }
  // 4. Files.
  await fsp.rm(p.stateDir, { recursive: true, force: true });
  await fsp.rm(p.dataDir, { recursive: true, force: true });
  for (const root of [STATE_ROOT, DATA_ROOT]) await fsp.rmdir(root).catch(() => undefined);
  // Verify: anything left is a bug worth failing on.
  const left = await leftovers(lab);
  if (left.length > 0) throw new Error(`lab ${lab}: could not remove ${left.join(', ')}`);
}

/** What remains of a lab on this machine (empty when it is fully gone). */
export async function leftovers(lab: string): Promise<string[]> {
  const p = labPaths(lab);
  const out: string[] = [];
  out.push(...labNetnsNames(lab).map((n) => `netns ${n}`));
  out.push(
    ...(await taggedLinks()).filter((l) => l.lab === lab).map((l) => `link ${l.name} (${linkAlias(lab)})`),
  );
  out.push(...mountsUnder(p.stateDir).map((m) => `mount ${m}`));
  if (fs.existsSync(p.stateDir)) out.push(`directory ${p.stateDir}`);
  if (fs.existsSync(p.dataDir)) out.push(`directory ${p.dataDir}`);
  return out;
}

/** True when a lab's leftovers belong to nobody: its owner died, or it never got a state file. */
export async function isStale(lab: string): Promise<boolean> {
  const state = await readState(lab);
  if (state) return state.owner !== null && !ownerAlive(state.owner);
  // No state file: stale unless a lab is being written right now (the state file comes first).
  try {
    const st = await fsp.stat(labPaths(lab).stateDir);
    return Date.now() - st.mtimeMs > 30_000;
  } catch {
    return true;
  }
}

/** A lab that a live test run is using right now (its owner process is alive). */
export async function isLiveTestLab(lab: string): Promise<boolean> {
  const state = await readState(lab);
  return state?.owner != null && ownerAlive(state.owner);
}

/** Remove labs left by crashed test runs. Labs made by `npm run lab -- up` (no owner) are kept. */
export async function sweepStaleLabs(): Promise<string[]> {
  const removed: string[] = [];
  for (const lab of await listLabNames()) {
    if (await isStale(lab)) {
      await removeLab(lab);
      removed.push(lab);
    }
  }
  return removed;
}
