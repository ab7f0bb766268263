/**
 * The built-in Terraform executor for tests: runs a synthesized stack of `null_resource`s with
 * local-exec provisioners the way Terraform would (see README.md here for what is modelled).
 *
 * apply: orphans are destroyed, new resources created, changed or tainted ones replaced
 * (destroy, then create), in dependency order, independent ones in parallel; a failing create
 * leaves its resource tainted, skips what depends on it, and lets independent branches finish.
 * destroy: everything in the state, dependents first. The state is rewritten after every
 * resource, and `crashAfter` simulates `kill -9` of terraform for crash-recovery tests.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { type Config, type Provisioner, type Vars, loadConfig, resolveVariables } from './config';
import { type WalkNode, topoOrder, walk } from './graph';
import { ProcessGroups, runLocalExec } from './local-exec';
import { type Scope, evalField, planApply } from './plan';
import { type OutputState, type State, readState, writeState } from './state';

export interface TfOptions {
  /** Directory holding cdk.tf.json; provisioners run here unless they set working_dir. */
  stackDir: string;
  /** @default `<stackDir>/terraform.tfstate.json` (the executor's own format) */
  statePath?: string;
  /**
   * Variable values, given to terraform as TF_VAR_<name> in its environment, so provisioners see
   * them there too (the only way a destroy-time provisioner can read a secret). A variable not
   * given here is read from TF_VAR_<name> in `env`, then its default.
   */
  vars?: Record<string, string>;
  /** Base environment of provisioners. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default 10, as terraform */
  parallelism?: number;
  /**
   * Simulate `kill -9` of terraform once this many resources have completed in this run (a
   * create, failed or not, or a destroy that is not the first half of a replace): provisioners
   * still running are killed with their process groups and not recorded, and the call rejects
   * with TfCrash. Built-in executor only.
   */
  crashAfter?: number;
  onEvent?: (e: TfEvent) => void;
  /** Per provisioner. @default 30 minutes */
  timeoutMs?: number;
  /**
   * Real terraform only: TF_CLI_CONFIG_FILE (and the like) naming the provider mirror, over any in
   * `env`. @default the mirror holding the hashicorp/null test double (offline.ts)
   */
  cliEnv?: Record<string, string>;
  /** Real terraform only: told each command line before it runs (e.g. to print it). */
  onCommand?: (argv: readonly string[]) => void;
  /** Real terraform's `plan` only: keep the saved plan file here instead of deleting it. */
  keepPlanFile?: string;
}

export type TfAction = 'create' | 'destroy';

export type TfEvent =
  | { type: 'start'; address: string; action: TfAction }
  | { type: 'output'; address: string; action: TfAction; stream: 'stdout' | 'stderr'; line: string }
  | { type: 'finish'; address: string; action: TfAction; ok: boolean; ms: number };

export interface TfResult {
  created: string[];
  replaced: string[];
  destroyed: string[];
  unchanged: string[];
  /** Milliseconds per address touched, from its first start to its last finish. */
  durations: Record<string, number>;
  /** Addresses in the order their operation completed. */
  completed: string[];
}

export interface TfPlan {
  create: string[];
  replace: string[];
  destroy: string[];
  noop: string[];
}

export interface TfFailure {
  address: string;
  message: string;
}

/** Some resources failed; `result` tells what was done anyway. */
export class TfApplyError extends Error {
  override name = 'TfApplyError';
  constructor(
    readonly failures: TfFailure[],
    readonly skipped: string[],
    readonly result: TfResult,
  ) {
    super(
      `${failures.length} resource(s) failed` +
        (skipped.length > 0 ? `, ${skipped.length} not attempted (${skipped.join(', ')})` : '') +
        `:\n${failures.map((f) => f.message).join('\n')}`,
    );
  }
}

/** The simulated `kill -9` of `crashAfter`. */
export class TfCrash extends Error {
  override name = 'TfCrash';
  constructor(readonly result: TfResult) {
    super(
      `simulated crash after ${result.completed.length} completed resource(s): ${result.completed.join(', ')}`,
    );
  }
}

const SUPPRESSED = '(output suppressed due to sensitive value in config)';

/** The environment terraform runs in, and its provisioners inherit: `env` plus TF_VAR_<name> for `vars`. */
export function terraformEnv(o: TfOptions): NodeJS.ProcessEnv {
  const env = { ...(o.env ?? process.env) };
  for (const [k, v] of Object.entries(o.vars ?? {})) env[`TF_VAR_${k}`] = v;
  return env;
}

function newId(): string {
  return (randomBytes(8).readBigUInt64BE() >> 1n).toString();
}

/** One apply or destroy: the state it owns, its processes, and what it has done so far. */
class Run {
  readonly state: State;
  readonly statePath: string;
  readonly groups = new ProcessGroups();
  readonly failures: TfFailure[] = [];
  readonly result: TfResult = {
    created: [],
    replaced: [],
    destroyed: [],
    unchanged: [],
    durations: {},
    completed: [],
  };
  crashed: boolean;
  private readonly starts = new Map<string, number>();

  constructor(
    readonly o: TfOptions,
    readonly cfg: Config,
    readonly vars: Vars,
  ) {
    this.statePath = o.statePath ?? path.join(o.stackDir, 'terraform.tfstate.json');
    this.state = readState(this.statePath);
    this.crashed = o.crashAfter === 0;
  }

  /** What expressions see while applying: resources as the state has them now. */
  scope(self?: Scope['self']): Scope {
    return { vars: this.vars, self, resource: (a) => this.state.resources[a] };
  }

  private emit(e: TfEvent): void {
    this.o.onEvent?.(e);
  }

  private start(address: string, action: TfAction): number {
    const now = Date.now();
    if (!this.starts.has(address)) this.starts.set(address, now);
    this.emit({ type: 'start', address, action });
    return now;
  }

  private finish(address: string, action: TfAction, ok: boolean, since: number): void {
    this.result.durations[address] = Date.now() - this.starts.get(address)!;
    this.emit({ type: 'finish', address, action, ok, ms: Date.now() - since });
  }

  /** Record a finished operation (synchronously, so nothing completes between it and a crash). */
  private record(address: string, counts: boolean, change: () => void): void {
    change();
    writeState(this.statePath, this.state);
    if (!counts) return;
    this.result.completed.push(address);
    if (this.result.completed.length === this.o.crashAfter) {
      this.crashed = true;
      this.groups.killAll();
    }
  }

  /** A provisioner's command, environment and directory after interpolation; throws on a bad reference. */
  private prepareExec(p: Provisioner, self: Scope['self']) {
    const scope = this.scope(self);
    const command = evalField(p.command, scope);
    const env = p.environment.map(([k, f]) => [k, evalField(f, scope)] as const);
    const wd = p.workingDir && evalField(p.workingDir, scope);
    return {
      command: command.value!,
      env: { ...terraformEnv(this.o), ...Object.fromEntries(env.map(([k, v]) => [k, v.value!])) },
      cwd: path.resolve(this.o.stackDir, wd?.value ?? '.'),
      // As Terraform: a provisioner whose configuration holds a sensitive value shows no output.
      sensitive: command.sensitive || env.some(([, v]) => v.sensitive) || !!wd?.sensitive,
    };
  }

  /** Run `provs` in order; false on the first failure (recorded) or on a crash. */
  private async provision(
    address: string,
    action: TfAction,
    provs: Provisioner[],
    self: Scope['self'],
  ): Promise<boolean> {
    for (const p of provs) {
      if (this.crashed) return false;
      const where = `${address}: ${action}-time provisioner ${p.index} (local-exec)`;
      const { sensitive, ...exec } = this.prepareExec(p, self);
      const r = await runLocalExec(
        {
          ...exec,
          timeoutMs: this.o.timeoutMs ?? 30 * 60_000,
          onLine: (line, stream) =>
            this.emit({ type: 'output', address, action, stream, line: sensitive ? SUPPRESSED : line }),
        },
        this.groups,
      );
      if (this.crashed) return false;
      if (!r.ok) {
        this.failures.push({
          address,
          message: `${where} failed: Error running command '${p.command.source}': ${r.status}. Output:\n${r.tail}`,
        });
        return false;
      }
    }
    return true;
  }

  /** Run one node; an unexpected error (a state write failing, say) fails the node instead of the walk. */
  node(key: string, address: string, after: string[], run: () => Promise<boolean>): WalkNode {
    return {
      key,
      after,
      run: () =>
        run().catch((e: unknown) => {
          this.failures.push({ address, message: `${address}: ${(e as Error).message}` });
          return false;
        }),
    };
  }

  /** Destroy-time provisioners come from the configuration, and are skipped for tainted or removed resources. */
  async destroy(address: string, counts: boolean): Promise<boolean> {
    const prior = this.state.resources[address]!;
    const rc = this.cfg.resources.get(address);
    const provs = prior.tainted || !rc ? [] : rc.provisioners.filter((p) => p.when === 'destroy');
    const since = this.start(address, 'destroy');
    const ok = await this.provision(address, 'destroy', provs, { id: prior.id, triggers: prior.triggers });
    if (this.crashed) return false;
    if (ok) this.record(address, counts, () => delete this.state.resources[address]);
    if (ok && counts) this.result.destroyed.push(address);
    this.finish(address, 'destroy', ok, since);
    return ok;
  }

  async create(address: string, replacing: boolean): Promise<boolean> {
    const rc = this.cfg.resources.get(address)!;
    const triggers = Object.fromEntries(rc.triggers.map(([k, f]) => [k, evalField(f, this.scope()).value!]));
    const self = { id: newId(), triggers };
    const since = this.start(address, 'create');
    const provs = rc.provisioners.filter((p) => p.when === 'create');
    const ok = await this.provision(address, 'create', provs, self);
    if (this.crashed) return false;
    this.record(address, true, () => {
      this.state.resources[address] = { ...self, dependencies: rc.deps, tainted: !ok };
    });
    if (ok) (replacing ? this.result.replaced : this.result.created).push(address);
    this.finish(address, 'create', ok, since);
    return ok;
  }

  /**
   * Walk `nodes`; then (unless crashed) write the outputs and the final state, and throw if
   * anything failed.
   */
  async walk(nodes: WalkNode[], outputs: () => Record<string, OutputState>): Promise<TfResult> {
    topoOrder(new Map(nodes.map((n) => [n.key, n.after])));
    const { skipped } = await walk(nodes, this.o.parallelism ?? 10, () => this.crashed);
    if (this.crashed) throw new TfCrash(this.result);
    this.state.outputs = outputs();
    writeState(this.statePath, this.state);
    if (this.failures.length > 0)
      throw new TfApplyError(this.failures, [...new Set(skipped.map((k) => k.split(':')[1]!))], this.result);
    return this.result;
  }

  /**
   * Destroy nodes for `addresses`, each after the destroy of whatever the state says depends on
   * it; `counts` is false for the first half of a replace.
   */
  destroyNodes(addresses: string[], counts: (address: string) => boolean): WalkNode[] {
    const set = new Set(addresses);
    return addresses.map((a) => {
      const after = Object.entries(this.state.resources)
        .filter(([d, r]) => set.has(d) && r.dependencies.includes(a))
        .map(([d]) => `destroy:${d}`);
      return this.node(`destroy:${a}`, a, after, () => this.destroy(a, counts(a)));
    });
  }

  evalOutputs(): Record<string, OutputState> {
    const out: Record<string, OutputState> = {};
    for (const o of this.cfg.outputs) {
      if (o.sensitive) out[o.name] = { sensitive: true };
      else if ('literal' in o) out[o.name] = { value: o.literal };
      else if ('unknown' in o) out[o.name] = { unknown: o.unknown };
      else {
        const v = evalField(o.field, this.scope()).value;
        out[o.name] = v === undefined ? { unknown: 'refers to a resource not in the state' } : { value: v };
      }
    }
    return out;
  }
}

function prepare(o: TfOptions): Run {
  const cfg = loadConfig(o.stackDir);
  const vars = resolveVariables(cfg, o.vars ?? {}, o.env ?? process.env);
  if (o.parallelism !== undefined && !(o.parallelism >= 1)) throw new Error('parallelism must be at least 1');
  return new Run(o, cfg, vars);
}

export async function plan(o: TfOptions): Promise<TfPlan> {
  const run = prepare(o);
  const p = planApply(run.cfg, run.vars, run.state);
  const having = (a: string) => p.resources.filter((r) => r.action === a).map((r) => r.address);
  return { create: having('create'), replace: having('replace'), destroy: p.orphans, noop: having('noop') };
}

export async function apply(o: TfOptions): Promise<TfResult> {
  const run = prepare(o);
  const p = planApply(run.cfg, run.vars, run.state);
  const action = new Map(p.resources.map((r) => [r.address, r.action]));
  const replaced = p.resources.filter((r) => r.action === 'replace').map((r) => r.address);
  const nodes = run.destroyNodes([...p.orphans, ...replaced], (a) => !replaced.includes(a));
  for (const { address, action: act } of p.resources) {
    if (act === 'noop') {
      run.result.unchanged.push(address);
      run.state.resources[address]!.dependencies = run.cfg.resources.get(address)!.deps;
      continue;
    }
    const deps = run.cfg.resources.get(address)!.deps.filter((d) => action.get(d) !== 'noop');
    const after = [...(act === 'replace' ? [`destroy:${address}`] : []), ...deps.map((d) => `create:${d}`)];
    nodes.push(run.node(`create:${address}`, address, after, () => run.create(address, act === 'replace')));
  }
  return run.walk(nodes, () => run.evalOutputs());
}

export async function destroy(o: TfOptions): Promise<TfResult> {
  const run = prepare(o);
  return run.walk(
    run.destroyNodes(Object.keys(run.state.resources).sort(), () => true),
    () => ({}),
  );
}
