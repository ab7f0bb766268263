/**
 * An existing two-node DMDSC cluster on lab hosts, as a DBA has it before configuring data guard
 * (manual 7.5.3): one database on a storage directory every DSC host sees (under the lab's own
 * data directory, like lab-guard.test.ts), each host with its own dmdcr.ini whose DMDCR_PATH lies
 * there (so `+DMDATA/...` maps beside it), `dminit control=` once, each node's dm.ini on its host,
 * dmcss then dmasmsvr running on each host (detached: setsid nohup) WITHOUT dmcss's restart
 * parameters (7.5.3: auto restart off while configuring; the deployer adds them in 7.5.10), and
 * each dmserver node started once normally (DCR_INI=...) and shut down normally. Afterwards the
 * dmserver nodes are stopped, dmcss/dmasmsvr run.
 */
import path from 'node:path/posix';
import { shQuote, type SshExecutor } from '../../lib/ssh';
import { DM, DmOverSsh, PASSWORD, ok, type Db } from '../dmsim/lab-harness';

export interface DscNodeSetup {
  /** INSTANCE_NAME (the dminit control file's section). */
  name: string;
  /** Lab host (spec host key). */
  host: string;
  /** This node's dm.ini; its directory is CONFIG_PATH. */
  iniPath: string;
  /** This host's dmdcr.ini. */
  dcrIni: string;
  /** PORT_NUM. */
  port: number;
}

export interface DscClusterSetup {
  /** The storage directory every DSC host sees (absolute, outside the hosts' private /dm). */
  shared: string;
  /** DB_NAME. @default DSC */
  dbName?: string;
  /** Node 0 first: dminit control= runs on its host. */
  nodes: DscNodeSetup[];
}

const dbNameOf = (c: DscClusterSetup) => c.dbName ?? 'DSC';

/** The control file on shared storage (CTL_PATH = +DMDATA/data/<DB_NAME>/dm.ctl), as the hosts see it. */
export function dscControlFile(c: DscClusterSetup): string {
  return path.join(c.shared, 'DMDATA', 'data', dbNameOf(c), 'dm.ctl');
}

/** A node as the lab harness's DmOverSsh takes it (startServer, shutdown, sql). */
export function dscDb(n: DscNodeSetup): Db {
  return { name: n.name, host: n.host, path: path.dirname(n.iniPath), ini: n.iniPath, port: n.port };
}

/** dmdcr.ini of one host (7.5.10's file, without the restart parameters). */
export function dcrIniText(c: DscClusterSetup, seqNo: number): string {
  return [
    `DMDCR_PATH = ${c.shared}/dcr.disk`,
    `DMDCR_MAL_PATH = ${c.shared}/dmasvrmal.ini`,
    `DMDCR_SEQNO = ${seqNo}`,
    '',
  ].join('\n');
}

/** dminit's control file (7.5.3 / the DMDSC manual's dminit.ini): one section per node. */
export function dminitControlText(c: DscClusterSetup): string {
  const db = dbNameOf(c);
  return [
    `DB_NAME = ${db}`,
    'SYSTEM_PATH = +DMDATA/data',
    `CTL_PATH = +DMDATA/data/${db}/dm.ctl`,
    `DCR_PATH = ${c.shared}/dcr.disk`,
    ...c.nodes.flatMap((n) => [
      `[${n.name}]`,
      `CONFIG_PATH = ${path.dirname(n.iniPath)}`,
      `PORT_NUM = ${n.port}`,
    ]),
    '',
  ].join('\n');
}

/** Output files of the long-running DSC services on a host. */
export const cssOut = (tool: 'dmcss' | 'dmasmsvr') => path.join(DM.out, `${tool}_setup.out`);

/**
 * Build the cluster. Every wait is bounded (the harness's background start and shutdown waits,
 * each SSH exec's own deadline). Returns the pids of dmcss and dmasmsvr per host.
 */
export async function buildExistingDsc(
  ex: SshExecutor,
  dm: DmOverSsh,
  c: DscClusterSetup,
): Promise<Map<string, { dmcss: number; dmasmsvr: number }>> {
  const [first] = c.nodes;
  if (!first || c.nodes.length < 2) throw new Error('a DMDSC cluster here has at least two nodes');
  const hosts = [...new Set(c.nodes.map((n) => n.host))];

  // the storage directory: made on node 0's host, seen (and writable) by every other DSC host
  ok(await ex.exec(first.host, `mkdir -p ${shQuote(c.shared)}`), 'mkdir shared storage');
  for (const h of hosts)
    ok(
      await ex.exec(h, `test -d ${shQuote(c.shared)} && test -w ${shQuote(c.shared)}`),
      `shared storage on ${h}`,
    );

  // each host its own dmdcr.ini, node i with DMDCR_SEQNO i
  for (const [i, n] of c.nodes.entries()) {
    ok(await ex.exec(n.host, `mkdir -p ${shQuote(path.dirname(n.dcrIni))}`), 'mkdir dmdcr.ini dir');
    await ex.writeFile(n.host, n.dcrIni, dcrIniText(c, i), { mode: 0o644 });
  }

  // dminit control= on node 0's host: control file on shared storage, each node's dm.ini at its
  // CONFIG_PATH there; the other nodes' dm.ini then moved to their own hosts, as with real DM
  const control = path.join(path.dirname(path.dirname(first.iniPath)), 'dminit_dsc.ini');
  ok(await ex.exec(first.host, `mkdir -p ${shQuote(path.dirname(control))}`), 'mkdir control dir');
  await ex.writeFile(first.host, control, dminitControlText(c), { mode: 0o644 });
  ok(
    await dm.tool(first.host, 'dminit', [`control=${control}`], {
      stdin: `${PASSWORD}\n`,
      timeoutMs: 60_000,
    }),
    'dminit control=',
  );
  for (const n of c.nodes.slice(1))
    if (n.host !== first.host) {
      ok(await ex.exec(n.host, `mkdir -p ${shQuote(path.dirname(n.iniPath))}`), `mkdir ${n.name}`);
      await ex.copyFile({ host: first.host, path: n.iniPath }, { host: n.host, path: n.iniPath });
      ok(
        await ex.exec(first.host, `rm -r ${shQuote(path.dirname(n.iniPath))}`),
        `rm ${n.name} on ${first.host}`,
      );
    }

  // dmcss, then dmasmsvr, on each DSC host with that host's dmdcr.ini, detached so they outlive SSH
  const pids = new Map<string, { dmcss: number; dmasmsvr: number }>();
  for (const n of c.nodes) {
    const started = { dmcss: NaN, dmasmsvr: NaN };
    for (const t of ['dmcss', 'dmasmsvr'] as const) {
      const r = await dm.background(n.host, `${DM.bin}/${t} dcr_ini=${shQuote(n.dcrIni)}`, cssOut(t), {
        ready: 'IS READY',
      });
      ok(r.result, `${t} on ${n.host}`);
      started[t] = r.pid;
    }
    pids.set(n.host, started);
  }

  // each node started once normally (7.1 注意: a new database's first start is a normal one), then
  // shut down normally; all nodes up together first, as the DSC manual starts a cluster
  const running: { d: Db; pid: number }[] = [];
  for (const n of c.nodes) {
    const d = dscDb(n);
    const s = await dm.startServer(d, { extra: [`DCR_INI=${n.dcrIni}`] });
    ok(s.result, `first start of ${n.name}`);
    running.push({ d, pid: s.pid });
  }
  for (const r of running) {
    const i = await dm.instance(r.d);
    if (i?.status !== 'OPEN') throw new Error(`${r.d.name} is ${JSON.stringify(i)} after its first start`);
  }
  for (const r of running.reverse()) await dm.shutdown(r.d, r.pid);
  return pids;
}
