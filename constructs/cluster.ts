/**
 * The base of the cluster constructs (RealtimePair, ReadWriteCluster, MppGroup, DscPrimary, DpcCluster). A
 * cluster construct holds its props; AsyncStandby and SyncStandby children attach to the
 * single-group kinds (7.6, 7.7). Nothing is generated until synthesis, when the
 * tree is complete: an aspect on the cluster then builds every cluster of the app at once —
 * validate the complete spec (props plus attached standbys), plan it, and only if every cluster
 * is valid, generate the Terraform. So all findings of all clusters are reported together, before
 * synth writes a single stack.
 *
 * Each plan step becomes one null_resource or terraform_data (spec `stepResource`; see
 * step-resources.ts), the plan manifest a TerraformAsset. No secret passes through Terraform:
 * there are no variables; each step reads its secrets where the spec's `secrets` says.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  Annotations,
  App,
  AssetType,
  Aspects,
  TerraformAsset,
  TerraformOutput,
  DataResource,
  TerraformProvider,
  TerraformResource,
  TerraformStack,
  type IAspect,
} from 'cdktf';
import { Construct, type IConstruct } from 'constructs';
import { NullProvider } from '@cdktf/provider-null/lib/provider';
import { Resource as NullResource } from '@cdktf/provider-null/lib/resource';
import { planManifest, resourceName, type Plan } from '../lib/plan';
import { familyOf } from '../lib/families';
import type { AnyModel } from '../lib/spec/model';
import type { DcpProxySpec } from '../lib/families/data-guard/dcp/schema';
import type {
  AsyncStandbySpec,
  ClusterKind,
  ClusterSpec,
  SyncStandbySpec,
} from '../lib/families/data-guard/schema';
import { formatFinding, SpecError, validateSpec, type Finding } from '../lib/validate';
import { disqlCommand, jdbcUrl } from './connection';
import type { ClusterCommonProps, DeepReadonly } from './props';
import { builtStepBundle } from './step-bundle';
import { stepResources } from './step-resources';

/** The kinds that have a construct: every kind of the spec. */
export type DeployableKind = ClusterKind;

/** A Terraform output of a cluster (its name gets the cluster's prefix in a shared stack). */
export interface ClusterOutput {
  name: string;
  value: string | number | Readonly<Record<string, string>>;
  description: string;
}

/** Context key that sets the dmdeploy command for every cluster of the app. */
export const DMDEPLOY_CONTEXT = 'dm-cdktf:dmdeploy';

/** The id of the stack's step bundle asset. */
const STEP_BUNDLE_ASSET = 'dm-cdktf-step';

/**
 * What the base reads of a cluster's props: the common fields, and the inline standbys of a
 * single-group kind (after which the attached children come).
 */
type BaseProps = ClusterCommonProps & {
  readonly asyncStandbys?: readonly unknown[];
  readonly syncStandbys?: readonly unknown[];
  readonly dcp?: { readonly proxies: readonly unknown[] };
};

type Attached =
  | { kind: 'async'; node: Construct; props: DeepReadonly<AsyncStandbySpec> }
  | { kind: 'sync'; node: Construct; props: DeepReadonly<SyncStandbySpec> }
  | { kind: 'dcp'; node: Construct; props: DeepReadonly<DcpProxySpec> };

type Resolved =
  | { ok: true; spec: ClusterSpec; model: AnyModel; plan: Plan; findings: Finding[] }
  | { ok: false; findings: Finding[] };

/** A cluster construct; `M` is its family's model (data guard's ClusterModel, DMDPC's DpcModel). */
export abstract class DmCluster<M extends AnyModel = AnyModel> extends Construct {
  /** Whether `construct` is a cluster construct of this library. */
  static isCluster(construct: IConstruct): construct is DmCluster {
    return construct instanceof DmCluster;
  }

  readonly kind: DeployableKind;
  private readonly props: BaseProps;
  private readonly attached: Attached[] = [];
  private resolved?: Resolved;
  private built = false;

  protected constructor(scope: Construct, id: string, kind: DeployableKind, props: BaseProps) {
    super(scope, id);
    this.kind = kind;
    // a snapshot: later changes to the caller's object do not change the cluster
    this.props = structuredClone(props);
    Aspects.of(this).add(BUILD);
  }

  /** The complete spec: the props plus the attached AsyncStandby and SyncStandby children. */
  get spec(): ClusterSpec {
    const spec: Record<string, unknown> = { kind: this.kind };
    for (const [key, value] of Object.entries(this.props))
      if (key !== 'dmdeploy') spec[key] = structuredClone(value);
    const asyncs = this.attached.flatMap((a) => (a.kind === 'async' ? [structuredClone(a.props)] : []));
    const syncs = this.attached.flatMap((a) => (a.kind === 'sync' ? [structuredClone(a.props)] : []));
    if (asyncs.length) spec.asyncStandbys = [...((spec.asyncStandbys as unknown[]) ?? []), ...asyncs];
    if (syncs.length) spec.syncStandbys = [...((spec.syncStandbys as unknown[]) ?? []), ...syncs];
    const proxies = this.attached.flatMap((a) => (a.kind === 'dcp' ? [structuredClone(a.props)] : []));
    if (proxies.length) {
      const dcp = (spec.dcp as { proxies?: unknown[] } | undefined) ?? {};
      spec.dcp = { ...dcp, proxies: [...(dcp.proxies ?? []), ...proxies] };
    }
    return spec as ClusterSpec;
  }

  /** The validated model; throws a SpecError listing every finding when the spec is invalid. */
  get model(): M {
    return this.validOrThrow().model as M;
  }

  /** The deploy and teardown plan; throws a SpecError listing every finding when the spec is invalid. */
  get plan(): Plan {
    return this.validOrThrow().plan;
  }

  /** @internal Called by AsyncStandby, SyncStandby and DcpProxy. */
  _attach(entry: Attached): void {
    if (this.resolved)
      throw new Error(
        `${entry.node.node.path}: cannot attach a standby to ${this.node.path} after it was validated or synthesized`,
      );
    this.attached.push(entry);
  }

  /** Validate and plan once the tree is complete. Findings carry the construct path as location. */
  private resolve(): Resolved {
    if (this.resolved) return this.resolved;
    const spec = this.spec;
    const inline = {
      asyncStandbys: this.props.asyncStandbys?.length ?? 0,
      syncStandbys: this.props.syncStandbys?.length ?? 0,
      'dcp.proxies': this.props.dcp?.proxies.length ?? 0,
    };
    const children = {
      asyncStandbys: this.attached.filter((a) => a.kind === 'async'),
      syncStandbys: this.attached.filter((a) => a.kind === 'sync'),
      'dcp.proxies': this.attached.filter((a) => a.kind === 'dcp'),
    };
    const locate = (f: Finding): Finding => {
      const m = /^(asyncStandbys|syncStandbys|dcp\.proxies)\[(\d+)\]/.exec(f.path);
      const list = m ? (m[1] as keyof typeof inline) : undefined;
      const child = list ? children[list][Number(m?.[2]) - inline[list]] : undefined;
      return { ...f, location: (child?.node ?? this).node.path };
    };
    const v = validateSpec(spec);
    const findings = v.findings.map(locate);
    if (!v.model || !v.spec || findings.some((f) => f.severity === 'error'))
      return (this.resolved = { ok: false, findings });
    return (this.resolved = {
      ok: true,
      spec: v.spec,
      model: v.model,
      plan: familyOf(v.model.kind).plan(v.model),
      findings,
    });
  }

  private validOrThrow(): Extract<Resolved, { ok: true }> {
    const r = this.resolve();
    if (!r.ok) throw new SpecError(r.findings);
    return r;
  }

  /** Generate the Terraform of a valid cluster (once). `prefix` keeps names unique in a shared stack. */
  private build(prefix: string): void {
    if (this.built) return;
    this.built = true;
    const { model, plan, findings } = this.validOrThrow();
    for (const f of findings) if (f.severity === 'warning') Annotations.of(this).addWarning(formatFinding(f));

    const stack = TerraformStack.of(this);
    const outdir = path.resolve(App.of(this).outdir);

    // The manifest: written outside the stack directory, copied into its assets/ by synth.
    const source = path.join(outdir, '.dm-cdktf', stack.node.id, resourceName(model.name), 'plan.json');
    mkdirSync(path.dirname(source), { recursive: true });
    writeFileSync(source, planManifest(plan));
    const manifest = new TerraformAsset(this, 'plan', { path: source, type: AssetType.FILE });

    const configured =
      this.props.dmdeploy ?? (this.node.tryGetContext(DMDEPLOY_CONTEXT) as string | undefined);
    // none configured: plain node on the step bundle, an asset of the stack (step-bundle.ts)
    const command = configured !== undefined ? [configured] : ['node', stepBundleAsset(stack)];

    const resources = new Map<string, TerraformResource>();
    for (const r of stepResources(plan, { command, manifest: manifest.path, prefix })) {
      // depends_on as plain strings: a construct reference per edge would make cdktf build a
      // token for each (with a stack trace), the bulk of synth time for a large plan
      const dependsOn = r.dependsOn.map((d) => {
        const dep = resources.get(d);
        if (!dep) throw new Error(`${this.node.path}: ${r.name} depends on ${d}, which is not generated yet`);
        return `${dep.terraformResourceType}.${d}`;
      });
      // No secret and no variable anywhere: each step reads its secrets itself (spec `secrets`),
      // from the environment local-exec inherits, a 0600 file or a command.
      const provisioners =
        r.command === undefined
          ? [] // a barrier between teardown phases runs nothing
          : [
              r.when === 'create'
                ? { type: 'local-exec' as const, command: r.command }
                : { type: 'local-exec' as const, when: 'destroy' as const, command: r.command },
            ];
      const triggers = r.triggers ? { ...r.triggers } : undefined;
      const resource =
        model.stepResource === 'terraform_data'
          ? new DataResource(this, r.name, {
              ...(triggers ? { triggersReplace: triggers } : {}),
              ...(provisioners.length ? { provisioners } : {}),
            })
          : new NullResource(this, r.name, {
              ...(triggers ? { triggers } : {}),
              ...(provisioners.length ? { provisioners } : {}),
            });
      resource.overrideLogicalId(r.name);
      resource.addOverride('depends_on', dependsOn);
      // a deployed stack changing its step type: Terraform moves each resource, running nothing
      if (model.moveStepsFrom && model.moveStepsFrom !== model.stepResource)
        resource.moveFromId(`${model.moveStepsFrom}.${r.name}`);
      resources.set(r.name, resource);
    }
    if (model.stepResource === 'null_resource') nullProviderOf(stack);

    const output = (name: string, value: ClusterOutput['value'], description: string) =>
      new TerraformOutput(this, `${prefix}${name}`, { value, description }).overrideLogicalId(
        `${prefix}${name}`,
      );
    output('client_service_name', model.client.serviceName, 'dm_svc.conf service name clients connect to');
    output(
      'dm_svc_conf',
      familyOf(model.kind).dmSvc(model),
      'the entry to add to /etc/dm_svc.conf on client hosts (§5.8)',
    );
    output(
      'connection_string',
      jdbcUrl(model.client),
      'JDBC URL through the dm_svc.conf service name (7.3.9.1; rwSeparate/rwPercent when read-write separation is on)',
    );
    output('disql_connect', disqlCommand(model.client), 'disql login through the dm_svc.conf service name');
    output(
      'plan_steps',
      plan.steps.length,
      'number of deploy steps (one null_resource or terraform_data each)',
    );
    for (const o of this.extraOutputs(model as M)) output(o.name, o.value, o.description);
  }

  /** Outputs of this kind beyond the ones every cluster has. */
  protected extraOutputs(_model: M): ClusterOutput[] {
    return [];
  }

  /**
   * Validate and plan every cluster construct under `root`, and only if all are valid, generate
   * their Terraform. Throws one SpecError with the findings of every invalid cluster. Runs from
   * the aspect at synthesis; safe to call more than once.
   */
  static buildAll(root: IConstruct): void {
    const clusters = root.node.findAll().filter(DmCluster.isCluster);
    const invalid = clusters.map((c) => c.resolve()).filter((r) => !r.ok);
    if (invalid.length) throw new SpecError(invalid.flatMap((r) => r.findings));
    const byStack = new Map<TerraformStack, DmCluster[]>();
    for (const c of clusters) {
      const stack = TerraformStack.of(c);
      byStack.set(stack, [...(byStack.get(stack) ?? []), c]);
    }
    for (const [stack, list] of byStack) {
      const names = list.map((c) => c.model.name);
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      if (dup)
        throw new Error(
          `stack ${stack.node.path}: two clusters are named ${dup}; set a distinct name on one`,
        );
      for (const c of list) c.build(list.length > 1 ? `${resourceName(c.model.name)}__` : '');
    }
  }
}

/** At synthesis, when every child has attached: build every cluster of the app. */
const BUILD: IAspect = {
  visit(node: IConstruct): void {
    if (DmCluster.isCluster(node)) DmCluster.buildAll(node.node.root);
  },
};

/** The stack's hashicorp/null provider: the user's own unaliased one if there is one, else ours. */
function nullProviderOf(stack: TerraformStack): void {
  const has = stack.node
    .findAll()
    .some((c) => c instanceof TerraformProvider && c.terraformResourceType === 'null' && !c.alias);
  if (!has) new NullProvider(stack, 'dm-cdktf-null');
}

/**
 * The stack's step bundle (step-bundle.ts), built from the current sources if needed: its
 * directory is one asset of the stack, shared by every cluster in it. Returns the launcher's path
 * relative to the stack directory, as the manifest's is.
 */
function stepBundleAsset(stack: TerraformStack): string {
  const { entry, info } = builtStepBundle();
  const asset =
    (stack.node.tryFindChild(STEP_BUNDLE_ASSET) as TerraformAsset | undefined) ??
    new TerraformAsset(stack, STEP_BUNDLE_ASSET, {
      path: path.dirname(entry),
      type: AssetType.DIRECTORY,
      // named by the sources digest: the V8 code cache beside the bundle differs from build to build
      assetHash: info.digest.slice(0, 32).toUpperCase(),
    });
  return path.posix.join(asset.path, path.basename(entry));
}
