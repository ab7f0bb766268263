// npm run lab -- up [--name dev] [--hosts DW_P,DW_S1,DW_M] [--slot N] [--dmsim]
// npm run lab -- down [--name dev | --stale | --all]
// npm run lab -- status [--name dev]

import { installDmsim } from '../dmsim/install';
import { labAvailability, type Availability } from './availability';
import { isLiveTestLab, isStale, leftovers, listLabNames } from './cleanup';
import { Lab } from './lab';
import { ensureLabPackages } from './packages';
import { labHints, specBlock } from './spec-block';
import { readState } from './state';

const USAGE = `usage: npm run lab -- up|down|status [--name <lab>] [--hosts h1,h2,...] [--slot <0-127>] [--dmsim] [--stale|--all]
  up      bring a lab up (removing a lab of the same name first); default --name dev, --hosts DW_P,DW_S1,DW_M;
          prints the ssh: and hosts: blocks of a cluster spec for it. Installs openssh-server and iproute2
          with apt-get first if they are missing (as root on Debian/Ubuntu).
          --dmsim: install the DM8 simulator in each host's /dm/bin, so a spec can be deployed there
  down    without options: remove every lab except those a running test run is using
          (so labs left by crashed runs and labs made by "up"); --name: only that lab;
          --stale: only labs whose owner process is gone; --all: every lab, in use or not
  status  list labs, their hosts, addresses and anything left behind`;

function parseArgs(argv: string[]): { cmd?: string; opts: Record<string, string> } {
  const [cmd, ...rest] = argv;
  const opts: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] ?? '';
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(a);
    if (!m?.[1]) throw new Error(`unexpected argument "${a}"\n${USAGE}`);
    if (m[1] === 'stale' || m[1] === 'all' || m[1] === 'dmsim') opts[m[1]] = 'yes';
    else opts[m[1]] = m[2] ?? rest[++i] ?? '';
  }
  return { cmd, opts };
}

function describe(lab: Lab): string {
  const d = lab.descriptor;
  const lines = [
    `lab ${d.name}: public ${d.subnets.public}, private ${d.subnets.private} (you are ${d.gateways.public} / ${d.gateways.private})`,
    ...d.hosts.map(
      (h) =>
        `  ${h.name.padEnd(10)} public ${h.public.padEnd(14)} private ${h.private.padEnd(14)} netns ${h.netns}`,
    ),
    `  ssh:  ssh -i ${d.privateKeyPath} -o UserKnownHostsFile=${d.knownHostsPath} ${d.user}@${d.hosts[0]?.public ?? ''}`,
    `  exec: nsenter --net=${d.hosts[0]?.netnsFile ?? ''} --mount=${d.hosts[0]?.mountNsFile ?? ''} -- sh`,
  ];
  return lines.join('\n');
}

async function main(): Promise<number> {
  const { cmd, opts } = parseArgs(process.argv.slice(2));
  if (!cmd || cmd === 'help' || cmd === '--help') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  // up may install missing packages (progress on stderr, so stdout is the lab's description)
  const avail: Availability =
    cmd === 'up' ? await ensureLabPackages((l) => console.error(l)) : labAvailability();
  if (!avail.ok) {
    console.error(`lab: ${avail.reason}`);
    return 1;
  }
  switch (cmd) {
    case 'up': {
      const hosts = (opts.hosts ?? 'DW_P,DW_S1,DW_M').split(',').filter(Boolean);
      const lab = await Lab.up({
        name: opts.name ?? 'dev',
        hosts,
        persistent: true,
        ...(opts.slot !== undefined ? { slot: Number(opts.slot) } : {}),
      });
      const dmsim = opts.dmsim === 'yes';
      try {
        if (dmsim)
          for (const h of hosts) installDmsim(lab.dmPath(h, '/dm/bin'), { logPath: '/dm/dmsim.log' });
      } catch (e) {
        await lab.down(); // no half-made lab left behind
        throw e;
      }
      console.log(describe(lab));
      if (dmsim) console.log(`  dmsim: DM8 simulator in /dm/bin on every host (log /dm/dmsim.log)`);
      console.log(`\n${specBlock(lab.descriptor)}\n${labHints(lab.name, dmsim)}`);
      return 0;
    }
    case 'down': {
      if (opts.name && !(await listLabNames()).includes(opts.name)) {
        console.log(`lab ${opts.name}: nothing to remove`);
        return 0;
      }
      let names = opts.name ? [opts.name] : await Lab.list();
      if (!opts.name && !opts.all) {
        const keep: string[] = [];
        const remove: string[] = [];
        for (const n of names) {
          const drop = opts.stale ? await isStale(n) : !(await isLiveTestLab(n));
          (drop ? remove : keep).push(n);
        }
        for (const n of keep) {
          const owner = (await readState(n))?.owner;
          console.log(
            `lab ${n}: kept (${owner ? `in use by a test run, pid ${owner.pid}` : 'made by "up"'}; --all removes it too)`,
          );
        }
        names = remove;
      }
      for (const n of names) {
        await Lab.down(n);
        console.log(`lab ${n}: removed`);
      }
      if (names.length === 0) console.log('nothing to remove');
      return 0;
    }
    case 'status': {
      const names = opts.name ? [opts.name] : await Lab.list();
      if (names.length === 0) console.log('no labs');
      for (const n of names) {
        const state = await readState(n);
        const lab = await Lab.load(n);
        if (lab) {
          console.log(describe(lab));
          for (const h of lab.hosts) {
            const pid = await lab.sshdPid(h.name);
            const pub = await lab.linkState(h.name, 'public').catch(() => 'missing');
            const prv = await lab.linkState(h.name, 'private').catch(() => 'missing');
            console.log(
              `  ${h.name.padEnd(10)} sshd ${pid ? `pid ${pid}` : 'DOWN'}, links public ${pub} private ${prv}`,
            );
          }
          console.log(`  owner: ${state?.owner ? `pid ${state.owner.pid}` : 'none (persistent)'}`);
        } else {
          const left = await leftovers(n);
          console.log(
            left.length ? `lab ${n}: incomplete; leftovers: ${left.join(', ')}` : `lab ${n}: not up`,
          );
        }
      }
      return 0;
    }
    default:
      console.error(`unknown command "${cmd}"\n${USAGE}`);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`lab: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
