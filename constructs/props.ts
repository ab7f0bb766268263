/**
 * Construct props: the cluster spec of lib/families/data-guard/schema.ts without `kind`, read-only. The nested
 * types (hosts, databases, watcher, monitor, ...) are the schema's own, so their doc comments and
 * `@default`s are the ones in schema.ts; the top-level fields are restated here with theirs. A
 * type test (test/constructs/props.test.ts) keeps these interfaces equal to the schema.
 */
import type {
  AsyncStandbySpec,
  DatabaseSpec,
  DscDatabaseSpec,
  HostSpec,
  MonitorSpec,
  ReadWriteClusterSpec,
  SingleDatabaseSpec,
  SshSpec,
  SyncStandbySpec,
  WatcherSpec,
} from '../lib/families/data-guard/schema';

/** `T` with every property and array read-only, all the way down. */
export type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

type Field<K extends keyof ReadWriteClusterSpec> = DeepReadonly<Exclude<ReadWriteClusterSpec[K], undefined>>;

/** Fields every cluster kind has. */
export interface ClusterCommonProps {
  /**
   * Cluster name: the stack name main.ts gives a spec file, and the plan's `cluster`.
   * @default the group name
   */
  readonly name?: string;
  /**
   * DM install directory on every host; the tools are in `<dmHome>/bin`.
   * @default /dm
   */
  readonly dmHome?: string;
  /**
   * How `dmdeploy step` reaches the hosts.
   * @default user dmdba, port 22
   */
  readonly ssh?: DeepReadonly<SshSpec>;
  /**
   * The machines, by a key of your choice (referenced by `host` fields): where SSH goes, the
   * external (MAL_INST_HOST) and internal (MAL_HOST) addresses (7.2.1). Required.
   */
  readonly hosts: { readonly [key: string]: DeepReadonly<HostSpec> };
  /**
   * dmwatcher.ini settings of the group.
   * @default MANUAL mode (§6.27 item 8) and the manual's timeouts
   */
  readonly watcher?: DeepReadonly<WatcherSpec>;
  /**
   * The monitor (dmmonitor.ini); a confirm monitor on a third machine is required for AUTO mode.
   * @default no monitor
   */
  readonly monitor?: DeepReadonly<MonitorSpec>;
  /**
   * dmmal.ini timing.
   * @default MAL_CHECK_INTERVAL 5, MAL_CONN_FAIL_INTERVAL 5 (the manual's examples)
   */
  readonly mal?: Field<'mal'>;
  /**
   * Local archive settings of every instance.
   * @default ARCH_FILE_SIZE 128, ARCH_SPACE_LIMIT 0
   */
  readonly archive?: Field<'archive'>;
  /**
   * Extra dm.ini settings applied to every instance, e.g. `{ DW_INACTIVE_INTERVAL: 60 }`.
   * @default none
   */
  readonly dmIni?: Field<'dmIni'>;
  /**
   * The client's dm_svc.conf entry and connection properties (§5.8, 7.3.9).
   * @default service name = the group, LOGIN_MODE 1, read-write separation on for ReadWriteCluster
   */
  readonly client?: Field<'client'>;
  /**
   * Delete the database directories and backup sets on `cdktf destroy`, after every process is
   * stopped. Without it destroy stops the cluster and keeps its data.
   * @default false
   */
  readonly purgeData?: boolean;
  /**
   * A changed setting a running dmserver reads only at its start: `refuse` it, or `rolling`:
   * restart the members that read it one at a time, the standbys first, the primary last (groups of
   * single-instance databases outside an MPP system; elsewhere the change stays refused).
   * @default refuse
   */
  readonly restarts?: 'refuse' | 'rolling';
  /**
   * Where each step process reads the SYSDBA password and the SSH key passphrase at run time: an
   * environment variable of the process running Terraform, a file only its owner can read, or a
   * command (e.g. a vault CLI). Secrets never pass through Terraform.
   * @default environment variables DM_SYSDBA_PASSWORD and DM_SSH_PASSPHRASE
   */
  readonly secrets?: Field<'secrets'>;
  /**
   * The Terraform resource each step becomes: hashicorp/null's `null_resource`, or Terraform's
   * built-in `terraform_data` (Terraform >= 1.4), which needs no provider download.
   * @default null_resource
   */
  readonly stepResource?: 'null_resource' | 'terraform_data';
  /**
   * With `stepResource: 'terraform_data'`: the resource type the deployed stack's steps have now.
   * Synth then writes a `moved` block per step, so Terraform (>= 1.9) moves each into a
   * `terraform_data` without running any step. Remove it once every workspace has applied.
   * @default no move
   */
  readonly moveStepsFrom?: 'null_resource';
  /**
   * Construct option, not part of the spec: the `dmdeploy` command the provisioners run (as
   * `<dmdeploy> step <id> --manifest <plan.json>`). Relative paths are relative to the stack's
   * directory (`<outdir>/stacks/<stack>`), where Terraform runs.
   * @default the context value `dm-cdktf:dmdeploy`, else `node <the step bundle>`: this
   * repository's step-only command line bundled by esbuild (step-bundle.ts), an asset of the stack
   */
  readonly dmdeploy?: string;
}

/**
 * Fields every data-guard group has (the schema's GroupFields): a RealtimePair, a
 * ReadWriteCluster, a DscPrimary, and each MPP node of an MppGroup.
 */
export interface GroupFieldsProps {
  /** Group name: the dmwatcher.ini / dmmonitor.ini section, at most 16 characters. Required. */
  readonly group: string;
  /** OGUID shared by the group's databases, watchers and monitor (§2.2.13). Required; choose your own. */
  readonly oguid: number;
  /**
   * Async standbys (7.6) written inline; `AsyncStandby` children are appended after these.
   * @default none
   */
  readonly asyncStandbys?: readonly DeepReadonly<AsyncStandbySpec>[];
  /**
   * Sync standbys (7.7) written inline; `SyncStandby` children are appended after these.
   * @default none
   */
  readonly syncStandbys?: readonly DeepReadonly<SyncStandbySpec>[];
}

/** Fields of one data-guard group with a single-node primary (RealtimePair, ReadWriteCluster). */
export interface GroupProps extends GroupFieldsProps {
  /** The primary: a single-node database. Required. */
  readonly primary: DeepReadonly<SingleDatabaseSpec>;
  /** 1 to 8 standbys (realtime for RealtimePair, timely by default for ReadWriteCluster). Required. */
  readonly standbys: readonly DeepReadonly<DatabaseSpec>[];
  /**
   * ARCH_WAIT_APPLY: 1 transaction-consistent, 0 high-performance (§2.2.11.5, §2.6.5).
   * @default DM's default (1 for timely, 0 for realtime archives)
   */
  readonly archWaitApply?: 0 | 1;
}

/** The primary of a DscPrimary: an existing DMDSC cluster (7.5), node 0 first. */
export type DscDatabaseProps = DeepReadonly<DscDatabaseSpec>;
