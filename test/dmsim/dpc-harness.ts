/**
 * Test helpers for DMDPC (seed 003 chapter 7) on simulated hosts: a node's plan, dminit with
 * DPC_MODE and AP_PORT_NUM, mp.ini, dpc_mode starts, SHUTDOWN and the RAFT files of 7.2.7.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ok, until, type SimHost } from './harness';
import { listProcesses } from './src/common';
import { setDmIniValue } from './src/config';

export interface DpcNodePlan {
  name: string;
  role: 'MP' | 'BP' | 'SP';
  h: SimHost;
  path: string;
  ini: string;
  dir: string;
  port: number;
  ap: number;
}

export function plan(h: SimHost, name: string, role: DpcNodePlan['role']): DpcNodePlan {
  const [port, ap] = h.lab.ports(2) as [number, number];
  const p = path.join(h.dir, 'dpc', name.toLowerCase());
  return {
    name,
    role,
    h,
    path: p,
    ini: path.join(p, 'DAMENG', 'dm.ini'),
    dir: path.join(p, 'DAMENG'),
    port,
    ap,
  };
}

export async function init(n: DpcNodePlan, role: string = n.role): Promise<void> {
  ok(
    await n.h.dminit(n.path, [
      'DB_NAME=DAMENG',
      `INSTANCE_NAME=${n.name}`,
      `PORT_NUM=${n.port}`,
      `AP_PORT_NUM=${n.ap}`,
      `DPC_MODE=${role}`,
    ]),
    `dminit ${n.name}`,
  );
}

/** The single form (003 7.1.2). */
export function mpIni(nodes: DpcNodePlan[], host: string, port: number): void {
  for (const n of nodes)
    fs.writeFileSync(
      path.join(n.dir, 'mp.ini'),
      `mp_host = ${host}\nmp_port = ${port}      #与MP、BP和SP上的ap_port_num不冲突的端口号\n`,
    );
}

/** The MP RAFT form (003 7.3.2): one section per MP, named by its instance name. */
export function mpIniMulti(nodes: DpcNodePlan[], mps: { name: string; host: string; port: number }[]): void {
  const text =
    '# mp_port端口号必须与MP、BP和SP上的ap_port_num端口号不冲突\n' +
    mps.map((m) => `[${m.name}]\nmp_host = ${m.host}\nmp_port = ${m.port}\n`).join('\n');
  for (const n of nodes) fs.writeFileSync(path.join(n.dir, 'mp.ini'), text);
}

export const start = (n: DpcNodePlan, extra: string[] = [], mode: string = n.role) =>
  n.h.startServer(n.ini, [`dpc_mode=${mode}`, ...extra]);

export function running(n: DpcNodePlan): boolean {
  return listProcesses(n.h.runDir).some((p) => p.tool === 'dmserver' && p.key === n.ini);
}

export async function gone(n: DpcNodePlan, ms = 10000): Promise<void> {
  await until(() => !running(n), `${n.name} to exit`, ms);
}

export async function shutdown(n: DpcNodePlan): Promise<void> {
  ok(await n.h.sql(n.port, ['SHUTDOWN']), `SHUTDOWN ${n.name}`);
  await gone(n);
}

export function pidOf(n: DpcNodePlan): number {
  return Number(fs.readFileSync(path.join(n.dir, `dmserver_${n.name}.pid`), 'utf8').trim());
}

export const errOf = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

export function ctl(n: DpcNodePlan): Record<string, unknown> & { dpc?: Record<string, unknown> } {
  return JSON.parse(fs.readFileSync(path.join(n.dir, 'dm.ctl'), 'utf8')) as Record<string, unknown>;
}

/** 003 7.2.6: the bootstrap member's dm.ini ARCH_INI = 1 and a LOCAL-only dmarch.ini. */
export function localOnly(n: DpcNodePlan): void {
  setDmIniValue(n.ini, 'ARCH_INI', '1');
  fs.writeFileSync(
    path.join(n.dir, 'dmarch.ini'),
    `[ARCHIVE_LOCAL1]\nARCH_TYPE = LOCAL #本地归档类型\nARCH_DEST = ${n.dir}/arch\nARCH_FILE_SIZE = 128\nARCH_SPACE_LIMIT = 0\n`,
  );
}

/**
 * 003 7.2.7.2-7.2.7.3: dm.ini ARCH_INI = 1, ALTER_MODE_STATUS = 0 and the RAFT dmarch.ini of
 * member `i` (0-based) of `members`: self id i+1, vote interval 1500 + 500*i unless given.
 */
export function raftConfig(
  members: DpcNodePlan[],
  i: number,
  o: { vote?: number; selfId?: number; dests?: { name: string; id: number }[] } = {},
): void {
  const n = members[i];
  if (!n) throw new Error(`no member ${i}`);
  setDmIniValue(n.ini, 'ARCH_INI', '1');
  setDmIniValue(n.ini, 'ALTER_MODE_STATUS', '0');
  const dests =
    o.dests ?? members.map((m, j) => ({ name: m.name, id: j + 1 })).filter((d) => d.name !== n.name);
  const text = [
    'XMAL_HB_INTERVAL = 5   #节点通信检测间隔',
    'RAFT_HB_INTERVAL = 150   #选举心跳间隔',
    `RAFT_VOTE_INTERVAL = ${o.vote ?? 1500 + 500 * i}`,
    `RAFT_SELF_ID = ${o.selfId ?? i + 1}`,
    '',
    ...dests.flatMap((d, k) => [
      `[ARCHIVE_RAFT${k + 1}]`,
      'ARCH_TYPE = RAFT   #RAFT归档',
      `ARCH_DEST = ${d.name}`,
      `ARCH_DEST_ID = ${d.id}`,
      '',
    ]),
    '[ARCHIVE_LOCAL1]',
    'ARCH_TYPE = LOCAL',
    `ARCH_DEST = ${n.dir}/arch`,
    'ARCH_FILE_SIZE = 128',
    'ARCH_SPACE_LIMIT = 0',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(n.dir, 'dmarch.ini'), text);
}

export function rman(n: DpcNodePlan, stmt: string) {
  return n.h.run('dmrman', [`CTLSTMT=${stmt}`, 'USE_AP=2']);
}

/** 003 7.2.7.1: offline FULL backup of the bootstrap (stopped), restore + UPDATE DB_MAGIC on the others. */
export async function backupRestore(
  src: DpcNodePlan,
  dsts: DpcNodePlan[],
  o: { set?: string; shadowBackup?: boolean; toShadow?: string[] } = {},
): Promise<string> {
  const set = path.join(src.path, o.set ?? 'BACKUP_01');
  ok(
    await rman(
      src,
      `BACKUP DATABASE '${src.ini}' FULL${o.shadowBackup ? ' SHADOW' : ''} TO ${o.set ?? 'BACKUP_01'} BACKUPSET '${set}'`,
    ),
    `backup ${src.name}`,
  );
  for (const d of dsts) {
    const shadow = o.toShadow?.includes(d.name) ? ' TO SHADOW' : '';
    ok(await rman(d, `RESTORE DATABASE '${d.ini}'${shadow} FROM BACKUPSET '${set}'`), `restore ${d.name}`);
    ok(await rman(d, `RECOVER DATABASE '${d.ini}' UPDATE DB_MAGIC`), `update db_magic ${d.name}`);
  }
  return set;
}

export async function inst(n: DpcNodePlan): Promise<{ STATUS$: string; MODE$: string }> {
  const rows = await n.h.query(n.port, 'SELECT STATUS$, MODE$ FROM V$INSTANCE');
  return rows[0] as { STATUS$: string; MODE$: string };
}
