/**
 * One data-guard group in the manual's order: its databases initialised or restored (7.1-7.2, a
 * DMDSC primary as 7.5.3 prepares it), configured, started in MOUNT and given their mode; then the
 * steps that change a running group: standbys joining (7.9-7.11), standbys leaving, and the rolling
 * restart (§6.19).
 */
import { isMpp, type DatabaseModel, type GroupModel, type InstanceModel } from '../model';
import type { JoinTarget } from '../../../plan/step';
import { planMembership } from './membership';
import { planPrimaryBackup } from './primary';
import {
  backupDirOf,
  dscNode,
  fileOf,
  INSTANCE_FILES,
  joinsOnline,
  node0,
  optional,
  primaryOf,
  server,
  type PlanBuilder,
} from './parts';

/** The group's steps; `lastMppJoin` is the join the group's joins follow (MPP: one at a time). */
export function planGroup(
  b: PlanBuilder,
  group: GroupModel,
  lastMppJoin: string | undefined,
): { modes: string[]; lastJoin: string | undefined } {
  const { model, files, add, preflight, mppCtlId, mppAfter } = b;
  const primary = primaryOf(group);
  const p = node0(primary);
  const backupDir = backupDirOf(group);
  // the chapter that builds this kind of group: 7.4 MPP, 7.5 DMDSC, else 7.2
  const ch = isMpp(model) ? '7.4' : group.databases.some((d) => d.layout === 'dsc') ? '7.5' : '7.2';
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
        '7.5': db.layout === 'dsc' && db === primary ? '7.5.3.1-7.5.3.2, 7.5.5-7.5.8' : '7.5.5-7.5.8',
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
    if (!f || db.layout !== 'dsc' || db.dmcssRestartInterval === undefined) return after;
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
      title: `start dmserver in MOUNT${i.dcrIni && db.layout === 'dsc' ? ` with DCR_INI=${i.dcrIni}` : ''}`,
      manual: { '7.4': '7.4.3.5', '7.5': '7.5.11', '7.2': '7.2.3.5' }[ch],
      after: [after, ...(mppCtlId ? [mppCtlId] : [])],
      params: {
        kind: 'mount',
        ...server(i),
        ...(db.layout === 'dsc' && i.dcrIni ? { dcrIni: i.dcrIni } : {}),
      },
    });
  /** Every node in MOUNT, then OGUID and mode through node 0 (7.5.12-7.5.13: any one node). */
  const mountAndMode = (db: DatabaseModel, m: 'PRIMARY' | 'STANDBY', after: string, also: string[]) => {
    const mounts = db.instances.map((i) => mount(i, db, dmdcr(i, db, after)));
    const i = node0(db);
    return add({
      id: `${i.name}/mode`,
      phase: 'mode',
      host: i.host,
      title: `ALTER_MODE_STATUS 1, SP_SET_OGUID(${group.oguid}), ALTER DATABASE ${m}, ALTER_MODE_STATUS 0${isMpp(model) ? ' (MPP_TYPE=LOCAL session)' : ''}`,
      manual: {
        '7.4': '7.4.3.6-7.4.3.7',
        '7.5': '7.5.12-7.5.13',
        '7.2': m === 'PRIMARY' ? '7.2.3.6-7.2.3.7' : '7.2.4.6-7.2.4.7',
      }[ch],
      after: [...mounts, ...also],
      params: { kind: 'mode', oguid: group.oguid, mode: m, ...server(i) },
    });
  };

  const backup = planPrimaryBackup(b, primary, backupDir, { init, config });
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
  let lastJoin: string | undefined = isMpp(model) ? lastMppJoin : undefined;
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
    const nodes = db.layout === 'dsc' ? db.instances.map(dscNode) : undefined;
    const restore = add({
      id: `${s.name}/restore`,
      phase: 'restore',
      host: s.host,
      title:
        db.layout === 'dsc'
          ? `RESTORE DATABASE onto the DMDSC database through dmrman use_ap=2 dcr_ini=${s.dcrIni ?? ''}, then UPDATE DB_MAGIC`
          : `RESTORE DATABASE, ${primary.layout === 'dsc' ? 'RECOVER ... FOR STANDBY, ' : ''}then RECOVER DATABASE ... UPDATE DB_MAGIC`,
      manual: primary.layout === 'dsc' ? '7.5.4' : db.layout === 'dsc' ? '7.1.1, 7.5.1' : '7.1.1',
      // a DMDSC standby is an existing database: no dminit (7.5.1)
      after: [db.layout === 'dsc' ? preflight : init(s), copyTo(s.host)],
      params: {
        kind: 'restore',
        backupDir,
        // 7.5.4 recovers the DMDSC set FOR STANDBY; an offline single-node set needs no RECOVER (7.1.1)
        forStandby: primary.layout === 'dsc',
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
          malGroups: isMpp(model) ? model.groups.map((g) => g.name) : [group.name],
          ...server(s),
        },
      });
      modes.push(lastJoin);
    }
  }
  const lastOfGroup = lastJoin;
  modes.push(...planMembership(b, group, modes, lastJoin));
  return { modes, lastJoin: lastOfGroup };
}
