/**
 * A thin wrapper running a real `terraform` or `tofu` binary on a synthesized stack, with the same
 * options, events and results as the built-in executor where the binary's output allows:
 * `init -input=false` then `apply`/`destroy -auto-approve -input=false` in the stack directory,
 * variables passed only as TF_VAR_<name> in the environment (never on the command line), the
 * state kept at `statePath` (default: `terraform.<stack>.tfstate` beside cdktf.out, where cdktf's
 * own local backend puts it), progress parsed from the `-no-color` output.
 *
 * Never the network: terraform runs with CHECKPOINT_DISABLE=1 and a CLI config naming only the
 * local filesystem mirror that holds the hashicorp/null test double (null-provider/).
 *
 * `crashAfter` is a real crash: terraform leads its own process group, and once that many
 * resources have completed and the state file records the last of them, the whole group
 * (terraform and the provisioners it runs, the next step likely started) is killed with SIGKILL.
 * (Killed while writing its state, terraform may lose the file's content: the lost-state tests
 * cover that case on purpose.) `timeoutMs` is the built-in executor's alone.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import {
  type TfAction,
  TfApplyError,
  TfCrash,
  type TfOptions,
  type TfPlan,
  type TfResult,
  terraformEnv,
} from './executor';
import { offlineTerraformEnv } from './offline';

// the offline CLI config wins over any TF_CLI_CONFIG_FILE the environment has
const environment = (o: TfOptions) => ({
  ...terraformEnv(o),
  ...(o.cliEnv ?? offlineTerraformEnv()),
  CHECKPOINT_DISABLE: '1',
  TF_IN_AUTOMATION: '1',
  TF_INPUT: '0',
});

/**
 * Where the state lives unless `statePath` says otherwise: cdktf's own place for it,
 * `terraform.<stack>.tfstate` in the directory holding cdktf.out. Never `<stackDir>/terraform.tfstate`:
 * that is Terraform's legacy default in the working directory, which `init -reconfigure` migrates
 * into the configured backend, emptying it when both are the same file.
 */
export function defaultStatePath(stackDir: string): string {
  const stacks = path.dirname(path.resolve(stackDir));
  return path.join(path.dirname(path.dirname(stacks)), `terraform.${path.basename(stackDir)}.tfstate`);
}

/**
 * Run `bin args` in the stack directory, passing each line of stdout and stderr to `onLine`;
 * resolves with stdout, rejects with the combined output (and its tail in the message). `kill`
 * receives a function that SIGKILLs terraform's whole process group (it leads its own).
 */
function run(
  bin: string,
  args: string[],
  o: TfOptions,
  onLine?: (line: string) => void,
  kill?: (killGroup: () => void) => void,
): Promise<string> {
  o.onCommand?.([bin, ...args]);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: o.stackDir,
      env: environment(o),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    kill?.(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    });
    let stdout = '';
    let all = '';
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        if (stream === child.stdout) stdout += chunk;
        all += chunk;
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        for (const l of lines) onLine?.(l);
      });
      stream.on('end', () => partial && onLine?.(partial));
    }
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else
        reject(
          Object.assign(new Error(`${bin} ${args[0]} exited ${code}:\n${all.slice(-8192)}`), { output: all }),
        );
    });
  });
}

const statePathOf = (o: TfOptions) => path.resolve(o.statePath ?? defaultStatePath(o.stackDir));

/**
 * Resolves once the local state file records `address` as `present` or gone (terraform writes it
 * after each resource), or after `limitMs`: a crash then loses no completed resource to a
 * half-written state file.
 */
async function recorded(file: string, address: string, present: boolean, limitMs = 5000): Promise<void> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    try {
      const state = JSON.parse(readFileSync(file, 'utf8')) as {
        resources?: { type: string; name: string }[];
      };
      if ((state.resources ?? []).some((r) => `${r.type}.${r.name}` === address) === present) return;
    } catch {
      // being written
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function init(bin: string, o: TfOptions): Promise<string> {
  const statePath = statePathOf(o);
  return run(
    bin,
    ['init', '-input=false', '-no-color', '-reconfigure', `-backend-config=path=${statePath}`],
    o,
  );
}

const LINE = /^((?:null_resource|terraform_data)\.[A-Za-z0-9_-]+)( \(local-exec\))?: (.*)$/;

/** Turns terraform's progress lines into events and a result. */
class Progress {
  private readonly result: TfResult = {
    created: [],
    replaced: [],
    destroyed: [],
    unchanged: [],
    durations: {},
    completed: [],
  };
  private readonly starts = new Map<string, number>();
  private readonly phase = new Map<string, TfAction>();
  private readonly destroyedHere = new Set<string>();

  constructor(private readonly onEvent: TfOptions['onEvent']) {}

  /** Resources completed so far in this run (a replace counts its create). */
  get completedCount(): number {
    return this.result.completed.length;
  }

  get lastCompleted(): string | undefined {
    return this.result.completed.at(-1);
  }

  line(l: string): void {
    const m = l.match(LINE);
    if (!m) return;
    const [, address, exec, text] = m as unknown as [string, string, string | undefined, string];
    if (exec) {
      if (!text.startsWith('Executing: '))
        this.onEvent?.({
          type: 'output',
          address,
          action: this.phase.get(address)!,
          stream: 'stdout',
          line: text,
        });
    } else if (text === 'Creating...' || text.startsWith('Destroying...')) {
      const action = text === 'Creating...' ? 'create' : 'destroy';
      this.phase.set(address, action);
      if (!this.starts.has(address)) this.starts.set(address, Date.now());
      this.onEvent?.({ type: 'start', address, action });
    } else if (text.startsWith('Creation complete') || text.startsWith('Destruction complete')) {
      const action = this.phase.get(address)!;
      const ms = Date.now() - this.starts.get(address)!;
      this.result.durations[address] = ms;
      this.onEvent?.({ type: 'finish', address, action, ok: true, ms });
      if (action === 'destroy') this.destroyedHere.add(address);
      else (this.destroyedHere.has(address) ? this.result.replaced : this.result.created).push(address);
      this.result.completed.push(address);
    }
  }

  /** The result so far: destroys not followed by a create were plain destroys; a replace completes once. */
  settle(): TfResult {
    const r = this.result;
    const destroyed = [...this.destroyedHere].filter((a) => !r.replaced.includes(a));
    const completed = r.completed.filter((a, i, all) => !r.replaced.includes(a) || all.lastIndexOf(a) === i);
    return { ...r, destroyed, completed };
  }
}

/** A failed run as TfApplyError: one failure per `Error:` block naming a resource. */
function failure(e: Error & { output?: string }, result: TfResult): Error {
  if (e.output === undefined) return e;
  const failures = e.output
    .split(/^(?=Error: )/m)
    .slice(1)
    .map((block) => ({
      address: block.match(/with ((?:null_resource|terraform_data)\.[A-Za-z0-9_-]+),/)?.[1] ?? '',
      message: block,
    }));
  return failures.length > 0 ? new TfApplyError(failures, [], result) : e;
}

async function applyOrDestroy(bin: string, o: TfOptions, command: 'apply' | 'destroy'): Promise<TfResult> {
  await init(bin, o);
  const progress = new Progress(o.onEvent);
  const args = [command, '-auto-approve', '-input=false', '-no-color', `-parallelism=${o.parallelism ?? 10}`];
  let killGroup: (() => void) | undefined;
  let crashed = false;
  const onLine = (l: string) => {
    progress.line(l);
    if (o.crashAfter !== undefined && !crashed && progress.completedCount >= o.crashAfter) {
      crashed = true;
      const last = progress.lastCompleted ?? '';
      void recorded(statePathOf(o), last, command === 'apply').then(() => killGroup?.());
    }
  };
  try {
    await run(bin, args, o, onLine, (k) => (killGroup = k));
  } catch (e) {
    if (crashed) throw new TfCrash(progress.settle());
    throw failure(e as Error, progress.settle());
  }
  // finished before the k-th completion: as the built-in executor, no crash
  const result = progress.settle();
  if (command === 'apply') {
    const listed = (await run(bin, ['state', 'list'], o))
      .split('\n')
      .filter((a) => /^(null_resource|terraform_data)\./.test(a));
    result.unchanged = listed.filter((a) => !result.created.includes(a) && !result.replaced.includes(a));
  }
  return result;
}

export const terraformApply = (bin: string, o: TfOptions) => applyOrDestroy(bin, o, 'apply');
export const terraformDestroy = (bin: string, o: TfOptions) => applyOrDestroy(bin, o, 'destroy');

/**
 * `plan -out` then `show -json`, sorted into the built-in executor's plan shape. The saved plan
 * is removed afterwards unless `keepPlanFile` names where to keep it (to inspect what it holds).
 */
export async function terraformPlan(bin: string, o: TfOptions): Promise<TfPlan> {
  await init(bin, o);
  const planFile = o.keepPlanFile ?? path.join(o.stackDir, `.dm-cdktf-${process.pid}.tfplan`);
  try {
    await run(bin, ['plan', '-input=false', '-no-color', `-out=${planFile}`], o);
    const shown = JSON.parse(await run(bin, ['show', '-json', planFile], o)) as {
      resource_changes?: { address: string; change: { actions: string[] } }[];
    };
    const plan: TfPlan = { create: [], replace: [], destroy: [], noop: [] };
    for (const rc of shown.resource_changes ?? []) {
      const kind = rc.change.actions.sort().join(',');
      const bucket = { create: 'create', 'create,delete': 'replace', delete: 'destroy', 'no-op': 'noop' }[
        kind
      ];
      if (!bucket) throw new Error(`${rc.address}: unexpected plan actions ${kind}`);
      plan[bucket as keyof TfPlan].push(rc.address);
    }
    return plan;
  } finally {
    if (!o.keepPlanFile) rmSync(planFile, { force: true });
  }
}
