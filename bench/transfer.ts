// Host-to-host copy of a 1 GiB backup set between two lab hosts: the executor (SFTP read stream
// on A piped into an SFTP write stream on B, through this process) against OpenSSH `scp -3` (which
// also relays through the local machine) on the same hosts in the same run.
// Prints both throughputs (best of BENCH_TRANSFER_ROUNDS, default 2, alternating the order), their
// ratio and this process's peak RSS. Bounded: every copy has a deadline, sizes and rounds are capped.

import { spawn } from 'node:child_process';
import { SshExecutor } from '../lib/ssh';
import { labAvailability } from '../test/lab/availability';
import { Lab } from '../test/lab/lab';

const SIZE_MIB = Math.max(1, Math.min(8192, Number(process.env.BENCH_TRANSFER_MIB ?? 1024)));
const ROUNDS = Math.max(1, Math.min(5, Number(process.env.BENCH_TRANSFER_ROUNDS ?? 2)));
const STEP_TIMEOUT_MS = 5 * 60_000;

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: no result within ${ms / 1000}s`)), ms);
    }),
  ]);
}

function runScp(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('scp', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(t);
      if (code === 0) resolve();
      else reject(new Error(`scp exited ${code}: ${err.trim()}`));
    });
  });
}

const mibs = (bytes: number, ms: number) => bytes / 1024 / 1024 / (ms / 1000);

export default async function transfer(): Promise<number> {
  const avail = labAvailability();
  if (!avail.ok) {
    console.error(`transfer benchmark needs a lab: ${avail.reason}`);
    return 1;
  }
  const lab = await Lab.up({ name: 'bench', hosts: ['src', 'dst'] });
  const src = lab.host('src');
  const dst = lab.host('dst');
  const ex = new SshExecutor(
    lab.hosts.map((h) => ({ name: h.name, address: h.public })),
    {
      auth: { privateKeyPath: lab.descriptor.privateKeyPath },
      knownHostsPath: lab.descriptor.knownHostsPath,
      user: 'root',
    },
  );
  try {
    const bytes = SIZE_MIB * 1024 * 1024;
    console.log(`creating a ${SIZE_MIB} MiB file on ${src.name} (${src.public}) ...`);
    await lab.exec(
      'src',
      ['sh', '-c', `mkdir -p /dm/bench && head -c ${SIZE_MIB}M /dev/urandom > /dm/bench/backup.bin`],
      {
        timeoutMs: STEP_TIMEOUT_MS,
      },
    );
    await lab.exec('dst', ['mkdir', '-p', '/dm/bench'], {});
    const rssBefore = process.memoryUsage().rss;
    let peakInTransit = 0;
    const viaExecutor = async (): Promise<number> => {
      const t = Date.now();
      await withDeadline(
        ex.copyFile(
          { host: 'src', path: '/dm/bench/backup.bin' },
          { host: 'dst', path: '/dm/bench/executor.bin' },
          { onProgress: (p) => (peakInTransit = Math.max(peakInTransit, p.bytesRead - p.bytes)) },
        ),
        STEP_TIMEOUT_MS,
        'executor copy',
      );
      return Date.now() - t;
    };
    // OpenSSH scp -3: the same two hosts, also relayed through this machine.
    const ssh = [
      '-q',
      '-i', lab.descriptor.privateKeyPath,
      '-o', `UserKnownHostsFile=${lab.descriptor.knownHostsPath}`,
      '-o', 'StrictHostKeyChecking=yes',
      '-o', 'BatchMode=yes',
    ]; // prettier-ignore
    const viaScp = async (): Promise<number> => {
      const t = Date.now();
      await runScp([
        ...ssh,
        '-3',
        `root@${src.public}:/dm/bench/backup.bin`,
        `root@${dst.public}:/dm/bench/scp.bin`,
      ]);
      return Date.now() - t;
    };

    // Alternate the order (E S S E ...) so neither side always runs first; report the best of each,
    // since on a shared machine noise only ever makes a run slower.
    const execRuns: number[] = [];
    const scpRuns: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        execRuns.push(await viaExecutor());
        scpRuns.push(await viaScp());
      } else {
        scpRuns.push(await viaScp());
        execRuns.push(await viaExecutor());
      }
    }
    const peakRss = process.resourceUsage().maxRSS * 1024; // maxRSS is in KiB; scp runs in child processes

    // Both copies must be the file itself.
    const sums = await Promise.all([
      lab.exec('src', ['sha256sum', '/dm/bench/backup.bin'], { timeoutMs: STEP_TIMEOUT_MS }),
      lab.exec('dst', ['sha256sum', '/dm/bench/executor.bin', '/dm/bench/scp.bin'], {
        timeoutMs: STEP_TIMEOUT_MS,
      }),
    ]);
    const want = sums[0].stdout.split(' ')[0];
    const got = sums[1].stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[0]);
    if (!got.every((g) => g === want))
      throw new Error(`copies differ from the source: ${got.join(', ')} vs ${want}`);

    const fmt = (runs: number[]) => runs.map((ms) => `${mibs(bytes, ms).toFixed(1)}`).join(', ');
    const e = mibs(bytes, Math.min(...execRuns));
    const s = mibs(bytes, Math.min(...scpRuns));
    console.log(
      `file      ${SIZE_MIB} MiB, ${src.name} -> ${dst.name}, both relayed through this machine; ${ROUNDS} rounds`,
    );
    console.log(`executor  best ${e.toFixed(1)} MiB/s   (runs: ${fmt(execRuns)} MiB/s)`);
    console.log(`scp -3    best ${s.toFixed(1)} MiB/s   (runs: ${fmt(scpRuns)} MiB/s)`);
    console.log(`ratio     executor/scp = ${(e / s).toFixed(2)}`);
    console.log(
      `memory    executor peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB (before copying ${(rssBefore / 1024 / 1024).toFixed(0)} MiB; ` +
        `peak data in transit ${(peakInTransit / 1024 / 1024).toFixed(1)} MiB)`,
    );
    return 0;
  } finally {
    await ex.close();
    await lab.down();
  }
}
