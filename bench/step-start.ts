// Start-up of one step process, what Terraform pays once per step resource (1,700 times for a
// 64-group MPP apply): everything `dmdeploy step` does before its first SSH connection, measured
// with `step <id> --dry-run` (the manifest read, the step found, the secrets read, the executor
// built; then it prints the ssh targets and exits 0), on the 7.2 example synthesized through
// main.ts as `cdktf synth` does. Compared, interleaved (each round runs every command once, in a
// rotated order), medians of BENCH_STEP_START_RUNS (default 15) runs:
//   node -e 0                      the floor: a node process that does nothing
//   step bundle (stack asset)      what each resource runs: node <asset>/dmdeploy-step.cjs (V8 code cache)
//   step handed to a broker        the same command without --dry-run, as a step process runs it while
//                                  the run's step broker is up: it hands the step over and relays the
//                                  answer (here a stand-in broker that answers at once)
//   step bundle, no code cache     node <asset>/step.cjs, the same bundle compiled from source
//   bin/dmdeploy step              the user CLI: bash, then the cached bundle (checks its sources first)
//   tsx lib/cli/main.ts step       what bin/dmdeploy ran before the bundle: every module through tsx
// Prints each median and its ratio to `node -e 0` (target for the bundle: at most 2x).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'cdktf';
import { buildApp } from '../main';
import { brokerSocket } from '../lib/cli/step-socket';

/** A stand-in broker on `socket`: accepts each step and answers exit 0 at once. */
async function standInBroker(socket: string): Promise<ChildProcess> {
  const code = `const net=require('node:net');const s=process.argv[1];require('node:fs').rmSync(s,{force:true});
net.createServer((c)=>{let b='';c.setEncoding('utf8');c.on('data',(d)=>{b+=d;if(b.includes('\\n'))c.end('{"accepted":true}\\n{"exit":0}\\n')})}).listen(s,()=>process.stdout.write('ready\\n'));`;
  const child = spawn(process.execPath, ['-e', code, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (c) => reject(new Error(`the stand-in broker exited ${String(c)}`)));
  });
  return child;
}

const RUNS = Math.max(3, Math.min(101, Number(process.env.BENCH_STEP_START_RUNS ?? 15)));
const REPO = path.join(__dirname, '..');
const TARGET = 2;

interface Candidate {
  name: string;
  argv: string[];
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

export default async function stepStart(): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dm-bench-step-start-'));
  let broker: ChildProcess | undefined;
  try {
    const outdir = path.join(dir, 'cdktf.out');
    buildApp(new App({ outdir }), [path.join(REPO, 'examples', '7.2-realtime-pair.yaml')]).synth();
    const stackDir = path.join(outdir, 'stacks', 'GRP1');
    const json = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as {
      resource: { null_resource: Record<string, { provisioner?: { 'local-exec': { command: string } }[] }> };
    };
    const command =
      json.resource.null_resource['cluster__preflight']?.provisioner?.[0]?.['local-exec'].command;
    // node <bundle> step <id> --manifest <plan.json>: every word is plain (no quoting to undo)
    const [node, bundle, , id, , manifest] = command?.split(' ') ?? [];
    if (node !== 'node' || !bundle || !id || !manifest)
      throw new Error(`unexpected step command in the synthesized stack: ${String(command)}`);
    const step = ['step', id, '--manifest', manifest, '--dry-run'];
    const candidates: Candidate[] = [
      { name: 'node -e 0', argv: ['node', '-e', '0'] },
      { name: 'step bundle (stack asset)', argv: ['node', bundle, ...step] },
      { name: 'step handed to a broker', argv: ['node', bundle, 'step', id, '--manifest', manifest] },
      {
        name: 'step bundle, no code cache',
        argv: ['node', path.posix.join(path.dirname(bundle), 'step.cjs'), ...step],
      },
      { name: 'bin/dmdeploy step', argv: [path.join(REPO, 'bin', 'dmdeploy'), ...step] },
      {
        name: 'tsx lib/cli/main.ts step',
        argv: [
          path.join(REPO, 'node_modules', '.bin', 'tsx'),
          path.join(REPO, 'lib', 'cli', 'main.ts'),
          ...step,
        ],
      },
    ];
    // as local-exec runs it: in the stack directory, the password in the environment (never printed)
    const env: NodeJS.ProcessEnv = { ...process.env, DM_SYSDBA_PASSWORD: 'bench-not-a-password' };
    delete env.DMDEPLOY_STEP_BROKER;
    const socket = brokerSocket(path.join(stackDir, path.dirname(bundle)), manifest, stackDir);
    if (!socket) throw new Error('no private directory for a broker socket on this machine');
    broker = await standInBroker(socket);
    delete env.NODE_OPTIONS;
    const runOnce = (c: Candidate): number => {
      const t = process.hrtime.bigint();
      const r = spawnSync(c.argv[0] as string, c.argv.slice(1), {
        cwd: stackDir,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (r.status !== 0 || (c.argv.includes('--dry-run') && !r.stdout.includes('dry run: would connect')))
        throw new Error(`${c.name} failed (exit ${String(r.status)}):\n${r.stdout}${r.stderr}`);
      return ms;
    };
    console.log(`stack     examples/7.2-realtime-pair.yaml synthesized to ${stackDir}`);
    console.log(`command   ${command}   (+ --dry-run)`);
    console.log(`runs      ${RUNS} per command, interleaved; node ${process.version}`);
    for (const c of candidates) runOnce(c); // warm the page cache; not counted
    const times = candidates.map(() => [] as number[]);
    for (let round = 0; round < RUNS; round++)
      for (let k = 0; k < candidates.length; k++) {
        const i = (round + k) % candidates.length;
        times[i]?.push(runOnce(candidates[i] as Candidate));
      }
    const medians = times.map(median);
    const floor = medians[0] as number;
    const width = Math.max(...candidates.map((c) => c.name.length));
    for (const [i, c] of candidates.entries()) {
      const m = medians[i] as number;
      console.log(
        `${c.name.padEnd(width)}  median ${m.toFixed(1).padStart(6)} ms  ${(m / floor).toFixed(2)}x node -e 0`,
      );
    }
    const ratio = (medians[1] as number) / floor;
    const handed = (medians[2] as number) / floor;
    const tsx = medians[5] as number;
    console.log(
      `target    step bundle <= ${TARGET}x node -e 0: ${ratio.toFixed(2)}x, ${ratio <= TARGET ? 'met' : 'NOT met'}; ` +
        `handed to a broker ${handed.toFixed(2)}x, ${handed <= TARGET ? 'met' : 'NOT met'}; ` +
        `${(tsx / (medians[1] as number)).toFixed(1)}x faster than tsx`,
    );
    return 0;
  } finally {
    broker?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
