/**
 * From a validated model, the deploy plan in the manual's order (7.1-7.7) and the teardown plan
 * of §6.4. Pure: the same model gives the same plan.
 */
import { createHash } from 'node:crypto';
import path from 'node:path/posix';
import { canonicalJson } from './manifest';
import { renderCluster, type RenderedFile } from '../render';
import { renderDmArch } from '../render/dmarch';
import { deployedRecord, recordDigest } from './deployed';
import { monDwIp, watcherUnits } from '../render/topology';
import {
  isGuardMember,
  type ClusterModel,
  type DatabaseModel,
  type GroupModel,
  type InstanceModel,
} from '../spec/model';
import {
  ALL_HOSTS,
  PHASES,
  type DscNode,
  type JoinTarget,
  type Plan,
  type Step,
  type StepFile,
  type VerifyGroup,
} from './step';

/** The backup set of 7.1.1, on the primary and copied to the same path on each standby host. */
export const BACKUP_NAME = 'BACKUP_FILE1';

export function backupDirOf(group: GroupModel): string {
  const db = primaryOf(group);
  const p = db.instances[0];
  // 7.5.3.3: a DMDSC primary's set goes where the model says (resolve gives the default)
  if (db.dsc) {
    if (!db.backupDir) throw new Error(`DMDSC database ${db.id} has no backup directory in its model`);
    return db.backupDir;
  }
  return path.join(p?.initPath ?? path.dirname(p?.configPath ?? '/'), 'BACKUP_FILE_01');
}

function primaryOf(group: GroupModel): DatabaseModel {
  const p = group.databases.find((d) => d.role === 'primary');
  if (!p) throw new Error(`group ${group.name} has no primary`);
  return p;
}

/** Node 0 of a database: the single instance, or a DMDSC database's control node (§2.7.5). */
const node0 = (db: DatabaseModel): InstanceModel => {
  const i = db.instances[0];
  if (!i) throw new Error(`${db.id}: no instance`);
  return i;
};

const server = (i: InstanceModel) => ({ instance: i.name, iniPath: i.iniPath, port: i.port });
const dscNode = (i: InstanceModel): DscNode => {
  if (!i.dcrIni) throw new Error(`${i.name}: a DMDSC node needs its dmdcr.ini (DSC_DCR_INI_REQUIRED)`);
  return { ...server(i), host: i.host, dcrIni: i.dcrIni };
};
const fileOf = (f: RenderedFile): StepFile => ({
  path: f.path,
  role: f.role,
  kind: f.kind,
  content: f.content,
});

/** The instance roles whose files the config step writes before the instance starts in MOUNT. */
const INSTANCE_FILES = new Set(['dm.ini', 'dmmal.ini', 'dmarch.ini', 'dmtimer.ini', 'dmwatcher.ini']);

export function planCluster(model: ClusterModel): Plan {
  const files = renderCluster(model);
  const steps: Step[] = [];
  const add = (s: Step): string => {
    steps.push(s);
    return s.id;
  };
  const dscNodes = model.groups.flatMap((g) =>
    g.databases.filter((d) => d.dsc).flatMap((d) => d.instances.map(dscNode)),
  );

  const preflight = add({
    id: 'cluster/preflight',
    phase: 'preflight',
    host: ALL_HOSTS,
    title: 'check every host: tools, word size, byte order, time zone, clock, ports, paths',
    manual: dscNodes.length ? '7 (introduction), 7.5.3' : '7 (introduction)',
    after: [],
    params: {
      kind: 'preflight',
      hosts: Object.keys(model.hosts).sort(),
      ports: model.groups.flatMap((g) =>
        g.databases.flatMap((d) =>
          d.instances.flatMap((i) =>
            (['port', 'malPort', 'malDwPort', 'instDwPort'] as const).map((k) => ({
              host: i.host,
              port: i[k],
              owner: i.name,
              configPath: i.configPath,
            })),
          ),
        ),
      ),
      paths: [
        ...model.groups.flatMap((g) =>
          g.databases.flatMap((d) =>
            d.instances.map((i) => ({ host: i.host, path: i.initPath ?? i.configPath })),
          ),
        ),
        ...monitorFiles(files).map((f) => ({ host: f.host, path: path.dirname(f.path) })),
      ],
      ...(dscNodes.length ? { dsc: dscNodes } : {}),
    },
  });

  // MPP (7.4.3.4): one dmmpp.ctl, made after every database exists, read by every MOUNT start
  const mppFile = files.find((f) => f.role === 'dmmpp.ini');
  const mppCtlId = mppFile?.instance ? `${mppFile.instance}/mpp-ctl` : undefined;
  const mppAfter: string[] = [];

  const modeSteps = new Map<string, string[]>();
  let lastMppJoin: string | undefined;
  for (const group of model.groups) {
    const primary = primaryOf(group);
    const p = node0(primary);
    const backupDir = backupDirOf(group);
    // the chapter that builds this kind of group: 7.4 MPP, 7.5 DMDSC, else 7.2
    const ch = model.mpp ? '7.4' : group.databases.some((d) => d.dsc) ? '7.5' : '7.2';
    const init = (i: InstanceModel) =>
      add({
        id: `${i.name}/dminit`,
        phase: 'init',
        host: i.host,
        title: `dminit path=${i.initPath ?? ''} (SYSDBA password on standard input)`,
        manual: '7.2.2',
        after: [preflight],
        params: { kind: 'dminit', initPath: i.initPath ?? '', dbName: i.dbName ?? 'DAMENG', ...server(i) },
      });
    const config = (i: InstanceModel, db: DatabaseModel, after: string) =>
      add({
        id: `${i.name}/config`,
        phase: db === primary ? 'primary-config' : 'standby-config',
        host: i.host,
        title: 'write dm.ini settings, dmmal.ini, dmarch.ini, dmtimer.ini, dmwatcher.ini',
        manual: {
          '7.4': '7.4.3.1-7.4.3.3, 7.4.7',
          '7.5': db.dsc && db === primary ? '7.5.3.1-7.5.3.2, 7.5.5-7.5.8' : '7.5.5-7.5.8',
          '7.2': '7.2.3-7.2.4',
        }[ch],
        after: [after],
        params: {
          kind: 'config',
          instance: i.name,
          files: files.filter((f) => f.instance === i.name && INSTANCE_FILES.has(f.role)).map(fileOf),
        },
      });
    /** 7.5.10: dmcss restarts the node in MOUNT once dmdcr.ini says so and dmcss was restarted. */
    const dmdcr = (i: InstanceModel, db: DatabaseModel, after: string): string => {
      const f = files.find((x) => x.role === 'dmdcr.ini' && x.instance === i.name);
      if (!f || db.dmcssRestartInterval === undefined) return after;
      return add({
        id: `${i.name}/dmdcr`,
        phase: 'dmdcr',
        host: i.host,
        title: `turn on dmcss's restart of ${i.name} in MOUNT in ${f.path}, then restart dmcss and dmasmsvr`,
        manual: '7.5.10',
        after: [after],
        params: {
          kind: 'dmdcr',
          dcrIni: f.path,
          files: [fileOf(f)],
          nodes: db.instances.filter((x) => x.host === i.host && x.dcrIni === f.path).map(dscNode),
        },
      });
    };
    const mount = (i: InstanceModel, db: DatabaseModel, after: string) =>
      add({
        id: `${i.name}/mount`,
        phase: 'mount',
        host: i.host,
        title: `start dmserver in MOUNT${i.dcrIni && db.dsc ? ` with DCR_INI=${i.dcrIni}` : ''}`,
        manual: { '7.4': '7.4.3.5', '7.5': '7.5.11', '7.2': '7.2.3.5' }[ch],
        after: [after, ...(mppCtlId ? [mppCtlId] : [])],
        params: { kind: 'mount', ...server(i), ...(db.dsc && i.dcrIni ? { dcrIni: i.dcrIni } : {}) },
      });
    /** Every node in MOUNT, then OGUID and mode through node 0 (7.5.12-7.5.13: any one node). */
    const mountAndMode = (db: DatabaseModel, m: 'PRIMARY' | 'STANDBY', after: string, also: string[]) => {
      const mounts = db.instances.map((i) => mount(i, db, dmdcr(i, db, after)));
      const i = node0(db);
      return add({
        id: `${i.name}/mode`,
        phase: 'mode',
        host: i.host,
        title: `ALTER_MODE_STATUS 1, SP_SET_OGUID(${group.oguid}), ALTER DATABASE ${m}, ALTER_MODE_STATUS 0${model.mpp ? ' (MPP_TYPE=LOCAL session)' : ''}`,
        manual: {
          '7.4': '7.4.3.6-7.4.3.7',
          '7.5': '7.5.12-7.5.13',
          '7.2': m === 'PRIMARY' ? '7.2.3.6-7.2.3.7' : '7.2.4.6-7.2.4.7',
        }[ch],
        after: [...mounts, ...also],
        params: { kind: 'mode', oguid: group.oguid, mode: m, ...server(i) },
      });
    };

    let backup: string;
    if (primary.dsc) {
      // 7.5.3: an existing DMDSC cluster; its nodes get their files, run once so that archives
      // exist, and are backed up offline through dmrman use_ap=2 dcr_ini=
      const configs = primary.instances.map((i) => config(i, primary, preflight));
      const nodes = primary.instances.map(dscNode);
      const restart = add({
        id: `${primary.id}/dsc-restart`,
        phase: 'dsc-restart',
        host: p.host,
        title: `start every DMDSC node with its archives on, then stop them normally (${nodes.map((n) => n.instance).join(', ')})`,
        manual: '7.5.3.3',
        after: configs,
        params: { kind: 'dsc-restart', nodes },
      });
      backup = add({
        id: `${p.name}/backup`,
        phase: 'backup',
        host: p.host,
        title: `offline full backup with dmrman use_ap=2 dcr_ini=${p.dcrIni ?? ''} to ${backupDir}`,
        manual: '7.5.3.3',
        after: [restart],
        params: {
          kind: 'backup',
          backupDir,
          backupName: BACKUP_NAME,
          dcrIni: nodes[0]?.dcrIni ?? '',
          nodes,
          ...server(p),
        },
      });
    } else {
      const pInit = init(p);
      const firstStart = add({
        id: `${p.name}/first-start`,
        phase: 'first-start',
        host: p.host,
        title: 'first start of the new primary, normally, then a normal shutdown',
        manual: '7.1 (note)',
        after: [pInit],
        params: { kind: 'first-start', ...server(p) },
      });
      mppAfter.push(pInit);
      const pConfig = config(p, primary, firstStart);
      backup = add({
        id: `${p.name}/backup`,
        phase: 'backup',
        host: p.host,
        title: `offline full backup with dmrman to ${backupDir}`,
        manual: '7.1.1',
        // 7.1: dmrman backs up only a database that archives, so the primary's files come first
        after: [pConfig],
        params: { kind: 'backup', backupDir, backupName: BACKUP_NAME, ...server(p) },
      });
    }
    mppAfter.push(backup);
    const pMode = mountAndMode(primary, 'PRIMARY', backup, []);
    const modes = [pMode];
    // 7.9-7.10: a single-instance standby may later join this group online
    const joinTarget = (db: DatabaseModel): JoinTarget | undefined =>
      joinsOnline(model, group, db)
        ? {
            group: group.name,
            // 7.11.3: every node of a DMDSC standby gets its MAL entry
            instances: db.instances.map((i) => i.name),
            ...(db.role === 'standby' ? {} : { restart: true }),
          }
        : undefined;
    // MPP: the groups share the watchers of a host and one MAL: one join at a time across them
    let lastJoin: string | undefined = model.mpp ? lastMppJoin : undefined;
    const copies = new Map<string, string>();
    const copyTo = (host: string): string => {
      if (host === p.host) return backup;
      let copy = copies.get(host);
      if (!copy) {
        copy = add({
          // MPP: a host may receive the sets of several groups
          id: model.groups.length > 1 ? `${host}/copy-backup-${group.name}` : `${host}/copy-backup`,
          phase: 'copy',
          host,
          title: `stream the backup set ${backupDir} from ${p.host}`,
          manual: '7.1.1',
          after: [backup],
          params: {
            kind: 'copy-backup',
            fromHost: p.host,
            backupDir,
            serves: {
              group: group.name,
              instances: group.databases
                .filter((d) => d !== primary && node0(d).host === host)
                .map((d) => node0(d).name),
            },
          },
        });
        copies.set(host, copy);
      }
      return copy;
    };
    for (const db of group.databases) {
      if (db === primary) continue;
      const s = node0(db);
      const nodes = db.dsc ? db.instances.map(dscNode) : undefined;
      const restore = add({
        id: `${s.name}/restore`,
        phase: 'restore',
        host: s.host,
        title: db.dsc
          ? `RESTORE DATABASE onto the DMDSC database through dmrman use_ap=2 dcr_ini=${s.dcrIni ?? ''}, then UPDATE DB_MAGIC`
          : `RESTORE DATABASE, ${primary.dsc ? 'RECOVER ... FOR STANDBY, ' : ''}then RECOVER DATABASE ... UPDATE DB_MAGIC`,
        manual: primary.dsc ? '7.5.4' : db.dsc ? '7.1.1, 7.5.1' : '7.1.1',
        // a DMDSC standby is an existing database: no dminit (7.5.1)
        after: [db.dsc ? preflight : init(s), copyTo(s.host)],
        params: {
          kind: 'restore',
          backupDir,
          // 7.5.4 recovers the DMDSC set FOR STANDBY; an offline single-node set needs no RECOVER (7.1.1)
          forStandby: primary.dsc,
          ...optional('join', joinTarget(db)),
          ...server(s),
          ...(nodes ? { dcrIni: nodes[0]?.dcrIni ?? '', nodes } : {}),
        },
      });
      mppAfter.push(restore);
      const configs = db.instances.map((i) => config(i, db, restore));
      const last = configs[configs.length - 1] ?? restore;
      const sMode = mountAndMode(db, 'STANDBY', last, [...configs.slice(0, -1), pMode]);
      modes.push(sMode);
      const join = joinTarget(db);
      if (join) {
        // one join at a time per group: each stops and restarts the group's watchers
        lastJoin = add({
          id: `${s.name}/join`,
          phase: 'join',
          host: s.host,
          title: join.restart
            ? `if ${group.name} already runs: SF_MAL_INST_ADD for ${s.name} on every running member; the archive destinations to it wait for ${group.name}/restart`
            : `if ${group.name} already runs: SF_MAL_INST_ADD and ADD ARCHIVELOG for ${s.name} on every running member (MOUNT primary first, OPEN FORCE standbys first), its watchers restarted`,
          manual: join.restart
            ? '7.6.2, 7.7.2, 7.10.3'
            : model.kind === 'ReadWriteCluster'
              ? '7.9.3-7.9.6'
              : '7.10.3-7.10.6',
          after: [sMode, ...(lastJoin ? [lastJoin] : [])],
          params: {
            kind: 'join',
            join,
            // 7.4.3.2: every instance of an MPP system holds the same dmmal.ini
            malGroups: model.mpp ? model.groups.map((g) => g.name) : [group.name],
            ...server(s),
          },
        });
        modes.push(lastJoin);
      }
    }
    if (model.mpp) lastMppJoin = lastJoin;
    // a standby marked removed leaves the running group; one membership change at a time
    if (joinsGroup(model, group))
      for (const db of group.retired ?? []) {
        const s = node0(db);
        lastJoin = add({
          id: `${s.name}/leave`,
          phase: 'join',
          host: s.host,
          title: `if ${s.name} runs in ${group.name}: stop it, DELETE ARCHIVELOG for it on every running member (MOUNT primary first, OPEN FORCE standbys first)${model.purgeData ? ', remove its database' : ''}`,
          manual: '§6.18, 7.10.4',
          after: [pMode, ...(lastJoin ? [lastJoin] : [])],
          params: {
            kind: 'leave',
            group: group.name,
            watcherIni: path.join(s.configPath, 'dmwatcher.ini'),
            ...(model.purgeData ? { purge: s.configPath } : {}),
            ...server(s),
          },
        });
        modes.push(lastJoin);
      }
    // §6.19: one restart step per group of single-instance databases outside an MPP system
    if (joinsGroup(model, group)) {
      const members = group.databases.map((d) => ({ ...server(node0(d)), host: node0(d).host }));
      const configs = steps.filter(
        (s) =>
          s.params.kind === 'config' &&
          members.some((m) => m.instance === (s.params as { instance: string }).instance),
      );
      modes.push(
        add({
          id: `${group.name}/restart`,
          phase: 'restart',
          host: ALL_HOSTS,
          title: `restart the members that wait for it, one at a time, standbys first, the primary last${model.restarts === 'rolling' ? '' : ' (restarts: refuse: say which wait)'}`,
          manual: '§6.19, §6.4',
          after: [...configs.map((s) => s.id), ...modes],
          params: {
            kind: 'restart',
            group: group.name,
            rolling: model.restarts === 'rolling',
            members,
            configDigest: createHash('sha256')
              .update(canonicalJson(configs.map((s) => s.params)))
              .digest('hex'),
          },
        }),
      );
    }
    modeSteps.set(group.name, modes);
  }

  if (mppFile && mppCtlId) {
    const owner = model.groups
      .flatMap((g) => g.databases)
      .flatMap((d) => d.instances)
      .find((i) => i.name === mppFile.instance);
    const ctlPath = path.join(path.dirname(mppFile.path), 'dmmpp.ctl');
    add({
      id: mppCtlId,
      phase: 'mpp-ctl',
      host: mppFile.host,
      title: `write ${mppFile.path}, dmctlcvt TYPE=2 to dmmpp.ctl, copy it to every MPP instance`,
      manual: '7.4.3.4, 7.4.4.4, 7.4.5.4',
      after: [...mppAfter],
      params: {
        kind: 'mpp-ctl',
        files: [fileOf(mppFile)],
        ctlPath,
        targets: mppInstances(model)
          .filter((i) => i !== owner)
          .map((i) => ({ host: i.host, path: path.join(i.configPath, 'dmmpp.ctl') })),
      },
    });
  }

  const watchers = watcherUnits(model).map((unit) => {
    const first = unit.entries[0]?.inst;
    return add({
      id: `${model.mpp ? unit.host : (first?.name ?? unit.host)}/watcher`,
      phase: 'watch',
      host: unit.host,
      title: `start dmwatcher ${unit.iniPath}`,
      manual: model.mpp ? '7.4.9' : unit.entries.some((e) => e.db.dsc) ? '7.5.14' : '7.2.6',
      after: [...new Set(unit.entries.flatMap((e) => modeSteps.get(e.group.name) ?? []))],
      params: { kind: 'watcher', iniPath: unit.iniPath, instances: unit.entries.map((e) => server(e.inst)) },
    });
  });

  const monitors = monitorFiles(files).map((f) =>
    add({
      id: `${f.host}/monitor`,
      phase: 'monitor',
      host: f.host,
      title:
        `write ${f.path}${model.monitor?.confirm ? ' and start the confirm monitor' : ''}` +
        // 7.2.5.2 asks for its online log files to be initialised first, by a procedure (its
        // 4.2.2.2.2) the sources do not hold: said here, and in docs/manual-deviations.md
        (/^\s*MON_MID\s*=/m.test(f.content)
          ? '; its online log files are not initialised first (4.2.2.2.2 is not in the sources, docs/manual-deviations.md)'
          : ''),
      manual: model.mpp ? '7.4.8, 7.4.10' : '7.2.5, 7.2.7',
      after: watchers,
      params: {
        kind: 'monitor',
        iniPath: f.path,
        confirm: model.monitor?.confirm ?? false,
        files: [fileOf(f)],
      },
    }),
  );

  const watcherIniOf = new Map(
    watcherUnits(model).flatMap((u) => u.entries.map((e) => [e.inst.name, u.iniPath] as const)),
  );
  const verifyGroups: VerifyGroup[] = model.groups.map((g) => ({
    name: g.name,
    oguid: g.oguid,
    databases: g.databases.flatMap((d) =>
      d.instances.map((i) => ({
        database: d.id,
        role: d.role,
        host: i.host,
        instance: i.name,
        port: i.port,
        watcherIni: watcherIniOf.get(i.name) ?? '',
        // as V$ARCH_STATUS shows them (002 §10): a REMOTE archive by its ARCH_INCOMING_PATH
        archives: renderDmArch(model, g, d, i).sections.map((s) => {
          const get = (k: string) => String(s.entries.find(([key]) => key === k)?.[1] ?? '');
          const type = get('ARCH_TYPE');
          return { type, dest: type === 'REMOTE' ? get('ARCH_INCOMING_PATH') : get('ARCH_DEST') };
        }),
      })),
    ),
  }));
  const mon = monitorFiles(files)[0];
  add({
    id: 'cluster/verify',
    phase: 'verify',
    host: ALL_HOSTS,
    title:
      'one PRIMARY/OPEN per group, every standby STANDBY/OPEN, archives VALID, watchers OPEN, the monitor sees all' +
      (model.mpp ? ', dmmpp.ctl identical everywhere' : ''),
    manual: '7.2.7, §4.4',
    after: monitors.length ? monitors : watchers,
    params: {
      kind: 'verify',
      groups: verifyGroups,
      ...(mon
        ? { monitor: { host: mon.host, iniPath: mon.path, confirm: model.monitor?.confirm ?? false } }
        : {}),
      ...(model.mpp
        ? {
            mppCtl: mppInstances(model).map((i) => ({
              host: i.host,
              path: path.join(i.configPath, 'dmmpp.ctl'),
            })),
          }
        : {}),
    },
  });

  const plan: Plan = {
    version: 2,
    cluster: model.name,
    kind: model.kind,
    dmHome: model.dmHome,
    ssh: model.ssh,
    secrets: model.secrets,
    hosts: model.hosts,
    steps: topoSort(steps),
    teardown: planTeardown(model, files),
  };
  // preflight runs again whenever what the cluster is changes (deployedRecord leaves both out), and
  // so does verify, which records it once the cluster is healthy
  const digest = recordDigest(deployedRecord(plan));
  for (const s of plan.steps) {
    if (s.params.kind === 'preflight' || s.params.kind === 'verify') s.params.deployed = digest;
    if (s.params.kind === 'preflight' && model.restarts === 'rolling') s.params.restarts = 'rolling';
  }
  return plan;
}

/**
 * Whether `db` joins `group` once the group runs, in a group of single-instance databases outside
 * an MPP system: a realtime or timely standby online (7.9-7.10); an async or sync standby only
 * with restarts: rolling, because the manual adds it to a group it shut down normally (7.6.2,
 * 7.6.3.5, 7.7.3.4): its MAL entry goes in online as 7.10.3 does, and the archive destination to
 * it (with TIMER_INI and dmtimer.ini for an async one) takes effect as each member restarts in
 * §6.19's order, instead of the whole group stopping at once. A single-instance realtime or
 * timely standby also joins a group whose primary is a DMDSC cluster, through every node; a
 * DMDSC standby joins a group without another DMDSC database (7.11). A standby of an MPP group
 * joins by 7.10 within its group, every instance of the MPP system taking its MAL entry (the
 * manual has no online procedure for an MPP system: docs/manual-deviations.md J7).
 */
export function joinsOnline(model: ClusterModel, group: GroupModel, db: DatabaseModel): boolean {
  // an MPP group: a single-instance realtime standby, by 7.10 within its group (J7)
  if (model.mpp) return db.role === 'standby' && !db.dsc && db.instances.length === 1;
  // 7.11: a DMDSC standby, only where the group has no other DMDSC database
  if (db.dsc)
    return (
      db.role === 'standby' && group.databases.every((d) => d === db || (!d.dsc && d.instances.length === 1))
    );
  if (db.instances.length !== 1) return false;
  // with a DMDSC primary, every node takes the MAL entry and the archive destination (7.5.3.1:
  // each node's dmarch.ini; docs/manual-deviations.md J6)
  if (db.role === 'standby') return true;
  if (!joinsGroup(model, group)) return false;
  return (db.role === 'async' || db.role === 'sync') && model.restarts === 'rolling';
}

/** A group of single-instance databases outside an MPP system: joins and rolling restarts are built for it. */
function joinsGroup(model: ClusterModel, group: GroupModel): boolean {
  return !model.mpp && group.databases.every((d) => !d.dsc && d.instances.length === 1);
}

const optional = <K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } =>
  (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };

/** The instances that run with MPP_INI = 1 and read dmmpp.ctl: primaries and GLOBAL standbys (§5.1). */
function mppInstances(model: ClusterModel): InstanceModel[] {
  return model.groups.flatMap((g) => g.databases.filter(isGuardMember).flatMap((d) => d.instances));
}

function monitorFiles(files: readonly RenderedFile[]): RenderedFile[] {
  return files.filter((f) => f.role === 'dmmonitor.ini');
}

/**
 * §6.4: the confirm monitor, the standby watchers, the primary watcher, the primary, the standbys.
 * Before all that, dmcss's restart of DMDSC nodes is turned off (§4.4 item 31), or dmcss would
 * start the nodes again (7.5.10).
 */
function planTeardown(model: ClusterModel, files: readonly RenderedFile[]): Step[] {
  const out: Step[] = [];
  // no cross-phase edges: teardown runs phase by phase (TEARDOWN_PHASES, teardownBefore)
  const add = (s: Omit<Step, 'manual'> & { manual?: string }): void => {
    out.push({ ...s, manual: s.manual ?? (s.phase === 'purge' ? 'purgeData' : '§6.4') });
  };
  const restarting = model.groups.filter((g) =>
    g.databases.some((d) => d.dsc && d.dmcssRestartInterval !== undefined),
  );
  const first = restarting[0]?.databases.find((d) => d.dsc && d.dmcssRestartInterval !== undefined);
  if (first && restarting.length)
    add({
      id: `${node0(first).name}/stop-auto-restart`,
      phase: 'stop-auto-restart',
      host: node0(first).host,
      title: `dmmonitor: set group ${restarting.map((g) => g.name).join(', ')} auto restart off`,
      manual: '§4.4 item 31, 7.5.10',
      after: [],
      params: {
        kind: 'stop-auto-restart',
        groups: restarting.map((g) => ({
          name: g.name,
          oguid: g.oguid,
          monDwIps: g.databases.map((d) => monDwIp(model, d)),
        })),
      },
    });
  if (model.monitor?.confirm)
    for (const f of monitorFiles(files))
      add({
        id: `${f.host}/stop-monitor`,
        phase: 'stop-monitor',
        host: f.host,
        title: 'stop the confirm monitor',
        after: [],
        params: { kind: 'stop-monitor', iniPath: f.path },
      });
  const units = watcherUnits(model);
  const isPrimaryUnit = (u: (typeof units)[number]) => u.entries.some((e) => e.db.role === 'primary');
  const stopWatcher = (u: (typeof units)[number]) =>
    add({
      id: `${u.entries[0]?.inst.name ?? u.host}/stop-watcher`,
      phase: isPrimaryUnit(u) ? 'stop-primary-watcher' : 'stop-standby-watchers',
      host: u.host,
      title: `stop dmwatcher ${u.iniPath}`,
      after: [],
      params: { kind: 'stop-watcher', iniPath: u.iniPath },
    });
  units.filter((u) => !isPrimaryUnit(u)).forEach(stopWatcher);
  units.filter(isPrimaryUnit).forEach(stopWatcher);
  const stopServers = (db: DatabaseModel) =>
    db.instances.map((i) =>
      add({
        id: `${i.name}/stop-server`,
        phase: db.role === 'primary' ? 'stop-primary' : 'stop-standbys',
        host: i.host,
        title: 'SHUTDOWN (normal) and wait for dmserver to exit',
        after: [],
        params: { kind: 'stop-server', ...server(i) },
      }),
    );
  const all = model.groups.flatMap((g) => g.databases);
  // a standby marked removed whose leave never finished is stopped with the other standbys
  const retired = model.groups.flatMap((g) => g.retired ?? []);
  for (const d of retired)
    for (const i of d.instances)
      add({
        id: `${i.name}/stop-watcher`,
        phase: 'stop-standby-watchers',
        host: i.host,
        title: `stop dmwatcher ${path.join(i.configPath, 'dmwatcher.ini')} (marked removed)`,
        after: [],
        params: { kind: 'stop-watcher', iniPath: path.join(i.configPath, 'dmwatcher.ini') },
      });
  all.filter((d) => d.role === 'primary').forEach(stopServers);
  [...all.filter((d) => d.role !== 'primary'), ...retired].forEach(stopServers);
  if (model.purgeData) {
    // the databases dmdeploy made, and the backup sets; an existing DMDSC database is never removed
    const byHost = new Map<string, string[]>();
    const purge = (host: string, p: string) => byHost.set(host, [...(byHost.get(host) ?? []), p]);
    for (const g of model.groups) {
      const p = node0(primaryOf(g));
      purge(p.host, backupDirOf(g));
      for (const d of g.databases)
        if (!d.dsc)
          for (const i of d.instances) {
            purge(i.host, path.join(i.initPath ?? path.dirname(i.configPath), i.dbName ?? 'DAMENG'));
            purge(i.host, backupDirOf(g));
          }
        else if (d.role !== 'primary') purge(node0(d).host, backupDirOf(g));
    }
    for (const [host, paths] of [...byHost].sort(([a], [b]) => (a < b ? -1 : 1)))
      add({
        id: `${host}/purge`,
        phase: 'purge',
        host,
        title: `remove ${[...new Set(paths)].join(', ')}`,
        after: [],
        params: { kind: 'purge', paths: [...new Set(paths)].sort() },
      });
  }
  return out;
}

/**
 * Kahn's algorithm, stable by phase then insertion order: of the steps whose predecessors are all
 * placed, the one of the earliest phase (then the earliest given) comes next, taken from a binary
 * heap, so O(n log n + edges). Throws on a cycle or a dangling edge.
 */
export function topoSort(steps: readonly Step[]): Step[] {
  const index = new Map(steps.map((s, i) => [s.id, i]));
  if (index.size !== steps.length) throw new Error('plan: duplicate step ids');
  const waiting = steps.map((s) => s.after.length);
  const next: number[][] = steps.map(() => []);
  steps.forEach((s, i) => {
    for (const a of s.after) {
      const j = index.get(a);
      if (j === undefined) throw new Error(`plan: ${s.id} comes after unknown step ${a}`);
      next[j]?.push(i);
    }
  });
  const rank = steps.map((s) => PHASES.indexOf(s.phase as (typeof PHASES)[number]));
  const heap = new MinHeap((a: number, b: number) => (rank[a] ?? 0) - (rank[b] ?? 0) || a - b);
  waiting.forEach((w, i) => w === 0 && heap.push(i));
  const out: Step[] = [];
  for (let i = heap.pop(); i !== undefined; i = heap.pop()) {
    out.push(steps[i] as Step);
    for (const j of next[i] ?? []) if (--(waiting[j] as number) === 0) heap.push(j);
  }
  if (out.length < steps.length) throw new Error('plan: the steps form a cycle');
  return out;
}

/** A binary min-heap of numbers ordered by `cmp`. */
class MinHeap {
  private readonly items: number[] = [];
  constructor(private readonly cmp: (a: number, b: number) => number) {}

  push(x: number): void {
    const a = this.items;
    a.push(x);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (this.cmp(a[i] as number, a[p] as number) >= 0) break;
      [a[i], a[p]] = [a[p] as number, a[i] as number];
      i = p;
    }
  }

  pop(): number | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.cmp(a[l] as number, a[m] as number) < 0) m = l;
        if (r < a.length && this.cmp(a[r] as number, a[m] as number) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as number, a[i] as number];
        i = m;
      }
    }
    return top;
  }
}
