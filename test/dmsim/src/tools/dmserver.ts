/**
 * dmserver <dm.ini> [mount] [DCR_INI=<dmdcr.ini>] [-noconsole]     (also path=<dm.ini>)
 *
 * A long-running instance: listens on PORT_NUM (SQL, for disql), MAL_HOST:MAL_PORT (MAL, for
 * the other instances' archive probes) and MAL_HOST:MAL_INST_DW_PORT (for its dmwatcher). It
 * runs in the foreground like DM's dmserver; start it in the background the way DM's DmService
 * script does (`nohup dmserver <ini> -noconsole >log 2>&1 &`), or set DMSIM_DAEMON=1 to have it
 * detach itself and return only once it is ready (exit 0) or has refused to start (non-zero).
 * SIGTERM/SIGINT (or `exit` on the console, or `SHUTDOWN` through disql) is a normal shutdown.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import {
  allowKeys,
  DmError,
  E,
  env,
  listProcesses,
  logAction,
  takeFault,
  nowStamp,
  opDelay,
  parseDmArgs,
  redactSql,
  registerProcess,
  writeFileAtomic,
} from '../common';
import {
  dbMagicHex,
  decodeMppCtl,
  destNames,
  encodeMppCtl,
  loadArchIni,
  loadDcrIni,
  loadDmIni,
  loadMalIni,
  loadMppCtl,
  loadTimerIni,
  malInst,
  PathMap,
  setDmIniValue,
  type Archive,
  type DcrIni,
  type DmIni,
  type MalIni,
  type MalInst,
  type MppEntry,
} from '../config';
import { requestOnce, serveJson, type Msg, type ServerConn } from '../net';
import {
  checkPassword,
  hostId,
  isRunning,
  readRuntime,
  readState,
  runtimeFile,
  runtimes,
  updateState,
  writeState,
  type DbState,
  type Mode,
  type NodeRuntime,
} from '../state';
import { parseStmt, selectFrom, type Cell, type Stmt, type View } from '../sql';
import { defaultBackupName, writeBackupSet } from '../backup';
import { DPC_TABLES, DpcNode } from '../dpc';
import { DCP_OBJECTS, DcpNode, dcpSettings, mppConfigReply } from '../dcp';

export interface InstanceInfo {
  instance: string;
  pid: number;
  mode: Mode;
  status: 'MOUNT' | 'OPEN';
  oguid: number;
  permanentMagic: number;
  dbMagic: number;
  dbId: string;
  dscNodes?: string[];
  malDigest?: string;
  mppDigest?: string;
  port: number;
  instHost?: string;
  lsn: number;
  archives: ArchStat[];
  alterModeStatus: number;
}

export interface ArchStat {
  type: string;
  dest: string;
  status: 'VALID' | 'INVALID';
  reason?: string;
}

interface WatcherSeen {
  lastMsg: number;
  group: string;
  dwType: string;
  dwMode: string;
  dwStatus: string;
  autoRestart: number;
}

export async function dmserver(argv: string[]): Promise<number> {
  const args = parseDmArgs(argv);
  allowKeys(args, 'dmserver', ['PATH', 'DCR_INI', 'DCR_SEQNO', 'DPC_MODE']);
  let iniPath = args.kv.get('PATH');
  let mount = false;
  let noconsole = false;
  for (const w of args.words) {
    if (/^mount$/i.test(w)) mount = true;
    else if (/^-noconsole$/i.test(w)) noconsole = true;
    else if (/^-?help$/i.test(w)) {
      process.stdout.write(
        'dmserver [path=]<dm.ini> [dpc_mode=MP|BP|SP] [mount] [DCR_INI=<dmdcr.ini>] [-noconsole]\n',
      );
      return 0;
    } else if (!iniPath && !w.startsWith('-')) iniPath = w;
    else throw new DmError(E.INVALID_ARG, `dmserver: invalid parameter ${w}`);
  }
  if (!iniPath) throw new DmError(E.INVALID_ARG, 'dmserver: the path of dm.ini is required');
  if (process.env.DMSIM_DAEMON === '1' && process.env.DMSIM_DAEMON_CHILD !== '1')
    return daemonize(argv, path.resolve(iniPath));
  const server = new Server(path.resolve(iniPath), args.kv.get('DCR_INI'), mount, args.kv.get('DPC_MODE'));
  await server.start();
  if (!noconsole && !process.stdin.isTTY && process.env.DMSIM_DAEMON_CHILD !== '1') server.console();
  return new Promise<number>(() => undefined); // runs until shutdown exits the process
}

/** DMSIM_DAEMON=1: run detached, return when the child is ready or has failed. */
async function daemonize(argv: string[], iniPath: string): Promise<number> {
  const out = path.join(path.dirname(iniPath), 'dmsim_dmserver.out');
  const fd = fs.openSync(out, 'a');
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1, 3), ...argv], {
    detached: true,
    stdio: ['ignore', fd, fd, 'ipc'],
    env: { ...process.env, DMSIM_DAEMON_CHILD: '1' },
  });
  fs.closeSync(fd);
  const result = await new Promise<{ ok: boolean; text: string; code: number }>((resolve) => {
    const timer = setTimeout(
      () => resolve({ ok: false, text: 'dmserver did not become ready within 30 s', code: 1 }),
      30_000,
    );
    child.on('message', (m: { ready?: boolean; error?: string; text?: string }) => {
      clearTimeout(timer);
      resolve({ ok: !!m.ready, text: m.text ?? m.error ?? '', code: m.ready ? 0 : 1 });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ ok: false, text: '', code: code || 1 });
    });
  });
  if (child.connected) child.disconnect();
  child.unref();
  if (result.ok) process.stdout.write(result.text);
  else {
    let text = result.text;
    if (!text) {
      try {
        text = fs.readFileSync(out, 'utf8').split('\n').slice(-20).join('\n');
      } catch {
        /* nothing */
      }
    }
    process.stderr.write(text.endsWith('\n') ? text : text + '\n');
  }
  return result.code;
}

/** The ranges of the parameters dmsim takes by SP_SET_PARA_VALUE (§5.1). */
const PARAM_RANGES: Record<string, [number, number]> = {
  ALTER_MODE_STATUS: [0, 1],
  DW_INACTIVE_INTERVAL: [0, 1800],
  ENABLE_OFFLINE_TS: [0, 2],
  RLOG_SEND_APPLY_MON: [16, 1024],
  SESS_FREE_IN_SUSPEND: [0, 1800],
  DW_MAX_SVR_WAIT_TIME: [0, 65534],
  // 001:L197: "动态 INI 参数 DCP_CONN_POOL_SIZE ... 有效值在 1 到 10000 之间"
  DCP_CONN_POOL_SIZE: [1, 10000],
};

/**
 * V$PARAMETER TYPE of the parameters dmsim models: SYS (dynamic), IN FILE (static: the file only,
 * read at the next start). RLOG_SEND_APPLY_MON is static by §5.1; the others, as SP_SET_PARA_VALUE
 * above takes them. An unmodelled parameter shows no TYPE: never claimed dynamic.
 */
const PARAM_TYPES: Record<string, string> = {
  ALTER_MODE_STATUS: 'SYS',
  DW_INACTIVE_INTERVAL: 'SYS',
  ENABLE_OFFLINE_TS: 'SYS',
  SESS_FREE_IN_SUSPEND: 'SYS',
  DW_MAX_SVR_WAIT_TIME: 'SYS',
  RLOG_SEND_APPLY_MON: 'IN FILE',
  ARCH_INI: 'IN FILE',
  MAL_INI: 'IN FILE',
  MPP_INI: 'IN FILE',
  TIMER_INI: 'IN FILE',
  INSTANCE_NAME: 'IN FILE',
  PORT_NUM: 'IN FILE',
  // 001:L197 calls DCP_CONN_POOL_SIZE dynamic, and only it: the proxy's mode and port are static
  DCP_CONN_POOL_SIZE: 'SYS',
  ENABLE_DCP_MODE: 'IN FILE',
  DCP_PORT_NUM: 'IN FILE',
};

class Server {
  ini!: DmIni;
  dcr?: DcrIni;
  mal?: MalIni;
  self?: MalInst;
  archives: Archive[] = [];
  mppDigest?: string;
  state!: DbState;
  status: 'MOUNT' | 'OPEN' = 'MOUNT';
  everOpenNormal = false;
  /** OPEN at some time in this run: a normal shutdown then archives the current log. */
  everOpen = false;
  params = new Map<string, string>();
  watcher?: WatcherSeen;
  archStat = new Map<string, ArchStat>();
  /** Probes are numbered: one that finishes after a later one (a detach's) does not write back its older view. */
  private archGen = 0;
  private archWritten = new Map<string, number>();
  /**
   * §4.4 item 43: standbys the monitor's `detach database` detached, in memory only (the command
   * changes no configuration; a restart forgets it): their archive is INVALID until `attach`.
   */
  detached = new Set<string>();
  /**
   * §6.5 step 8: a switchover makes every archive of the new primary INVALID; its watcher's
   * recovery, INST_RECOVER_TIME (3 s after a switchover) later, makes them VALID again.
   */
  recoverAfter = 0;
  malConfig: { on: boolean; adds: MalInst[] } = { on: false, adds: [] };
  /** Put in MOUNT by ALTER DATABASE MOUNT (7.10.4 item 2), until opened again. */
  mountedBySql = false;
  servers: net.Server[] = [];
  /** DMDPC (003 ch. 7): the MP/BP/SP side of this instance. */
  dpc?: DpcNode;
  /** DCP (seed 001): the proxy side of an ENABLE_DCP_MODE = 1 instance. */
  dcp?: DcpNode;
  /** V$SESSIONS: the logged-in SQL connections (DCP_FLAG, 001:L287-289). */
  sessions = new Map<
    ServerConn,
    { id: number; user: string; ip: string; created: string; dcpFlag: string }
  >();
  nextSessId = 1;
  startTime = new Date();
  shuttingDown = false;
  timers: NodeJS.Timeout[] = [];

  constructor(
    readonly iniPath: string,
    readonly dcrIniPath: string | undefined,
    readonly mountArg: boolean,
    readonly dpcMode?: string,
  ) {}

  get ctl(): string {
    return this.ini.ctlPath;
  }

  async start(): Promise<void> {
    if (this.dcrIniPath) this.dcr = loadDcrIni(this.dcrIniPath);
    const paths = this.dcr ? new PathMap(this.dcr.asmRoot) : PathMap.fromDcrIni();
    this.ini = loadDmIni(this.iniPath, paths);
    for (const [k, v] of this.ini.values) this.params.set(k, v);
    this.state = readState(this.ctl);
    logAction('start', {
      ini: this.iniPath,
      mount: this.mountArg,
      dcrIni: this.dcrIniPath,
      ...(this.dpcMode !== undefined ? { dpcMode: this.dpcMode.toUpperCase() } : {}),
    });
    this.checkStartable();
    this.loadConfigs();
    const dcp = dcpSettings(this.ini);
    if (dcp) {
      this.dcp = new DcpNode(this, dcp);
      this.dcp.check(this.state);
    }
    if (this.state.dpc || this.dpcMode !== undefined) {
      this.dpc = new DpcNode(this, this.dpcMode, this.mountArg);
      await this.dpc.check();
    }
    await opDelay('start');
    // §6.2: a Primary/Standby database always comes up in MOUNT; a Normal one opens unless `mount`
    this.status = this.state.mode !== 'NORMAL' || this.mountArg ? 'MOUNT' : 'OPEN';
    await this.listen();
    if (this.status === 'OPEN') this.everOpenNormal = true;
    if (this.state.needsRedo)
      logAction('redo', {
        instance: this.ini.instanceName,
        reason: 'the last run ended in a HALT: REDO is replayed before the instance comes up (003 7.1.8)',
      });
    this.state = updateState(this.ctl, (s) => {
      s.lastShutdown = 'ABNORMAL'; // until a normal shutdown says otherwise
      delete s.needsRedo;
    });
    this.writeRuntime();
    if (this.status === 'OPEN') this.opened('startup');
    this.watchDscServices();
    registerProcess(this.iniPath);
    // a plain pid file for scripts: <CONFIG_PATH>/dmserver_<INSTANCE_NAME>.pid
    const pidFile = path.join(this.ini.configPath, `dmserver_${this.ini.instanceName}.pid`);
    fs.writeFileSync(pidFile, `${process.pid}\n`);
    process.on('exit', () => {
      try {
        if (fs.readFileSync(pidFile, 'utf8').trim() === String(process.pid)) fs.unlinkSync(pidFile);
      } catch {
        /* gone */
      }
    });
    this.timers.push(setInterval(() => this.writeRuntime(), 1000));
    this.timers.push(setInterval(() => void this.probeArchives(), Math.max(500, env.tickMs() * 5)));
    for (const sig of ['SIGTERM', 'SIGINT'] as const)
      process.on(sig, () => void this.shutdown('signal ' + sig));
    process.on('SIGHUP', () => undefined);
    this.dpc?.started();
    await this.dcp?.started();
    logAction('ready', { instance: this.ini.instanceName, status: this.status, mode: this.state.mode });
    const text = this.readyText();
    process.stdout.write(text);
    if (process.send) {
      process.send({ ready: true, text });
      process.disconnect?.();
    }
  }

  readyText(): string {
    return [
      `DM Database Server 64 V8 (dmsim) startup...`,
      `instance name: ${this.ini.instanceName}, mode: ${this.state.mode}, status: ${this.status}`,
      `Database mode = ${this.state.mode === 'PRIMARY' ? 1 : this.state.mode === 'STANDBY' ? 2 : 0}, oguid = ${this.state.oguid}`,
      `SYSTEM IS READY.`,
      '',
    ].join('\n');
  }

  /** The instance has just become OPEN (at startup, ALTER DATABASE OPEN, or by its watcher). */
  opened(how: string): void {
    this.everOpen = true;
    this.writeArchiveLogs(`open (${how})`);
  }

  checkStartable(): void {
    const s = this.state;
    const me = readRuntime(runtimeFile(this.ini));
    if (isRunning(me))
      throw new DmError(E.RUNNING, `instance ${this.ini.instanceName} is already running (pid ${me?.pid})`);
    if (s.pending === 'RECOVER')
      throw new DmError(
        E.STATE,
        'the database was restored from an online backup and must be recovered first: RECOVER DATABASE ... FROM BACKUPSET',
        '7.1.2',
      );
    if (s.pending === 'UPDATE_DB_MAGIC')
      throw new DmError(
        E.STATE,
        'the restored database must get its own DB_MAGIC first: RECOVER DATABASE ... UPDATE DB_MAGIC',
        '7.1',
      );
    if (this.mountArg && !s.firstNormalStartDone)
      throw new DmError(
        E.STATE,
        'a newly initialised database cannot be started in MOUNT the first time; start it normally and shut it down normally first',
        '7.1 注意',
      );
    if (s.dscNodes && !this.dcr)
      throw new DmError(
        E.DSC,
        `database ${s.dbName} is a DMDSC database; start each node with DCR_INI=<dmdcr.ini>`,
        '7.5.11',
      );
    if (this.dcr) {
      if (!s.dscNodes)
        throw new DmError(E.DSC, 'DCR_INI given but the database is not a DMDSC database', '7.5.11');
      if (!s.dscNodes.includes(this.ini.instanceName))
        throw new DmError(
          E.DSC,
          `instance ${this.ini.instanceName} is not a node of DMDSC database ${s.dbName}`,
          '7.5',
        );
      const procs = listProcesses();
      if (!procs.some((p) => p.tool === 'dmcss' && p.key === this.dcr?.file))
        throw new DmError(
          E.DSC,
          `no dmcss runs on this host for ${this.dcr.file}; start dmcss dcr_ini=... first`,
          '7.5.3',
        );
      const onAsm = [...this.ini.values.values()].some((v) => v.startsWith('+'));
      if (onAsm && !procs.some((p) => p.tool === 'dmasmsvr' && p.key === this.dcr?.file))
        throw new DmError(
          E.DSC,
          `the database is on ASM but no dmasmsvr runs on this host for ${this.dcr.file}`,
          '7.5.3',
        );
    }
  }

  loadConfigs(): void {
    const ini = this.ini;
    const dwPort = ini.values.get('DW_PORT');
    if (ini.malIni) {
      this.mal = loadMalIni(ini);
      this.self = malInst(this.mal, ini.instanceName);
      if (!this.self)
        throw new DmError(
          E.CONFIG,
          `dmmal.ini has no MAL_INST_NAME = ${ini.instanceName} (dm.ini INSTANCE_NAME)`,
          '§5.2',
        );
      if (this.self.instPort !== ini.portNum)
        throw new DmError(
          E.CONFIG,
          `dmmal.ini MAL_INST_PORT ${this.self.instPort} of ${ini.instanceName} differs from dm.ini PORT_NUM ${ini.portNum}`,
          '§5.7',
        );
      if (dwPort !== undefined && Number(dwPort) !== this.self.instDwPort)
        throw new DmError(
          E.CONFIG,
          `dm.ini DW_PORT ${dwPort} differs from dmmal.ini MAL_INST_DW_PORT ${this.self.instDwPort}`,
          '§5.7',
        );
      if (this.self.port === ini.portNum)
        throw new DmError(E.CONFIG, 'MAL_PORT must differ from PORT_NUM', '§5.7');
      const listenIp = ini.listenIp;
      if (listenIp && listenIp !== this.self.instHost)
        throw new DmError(
          E.CONFIG,
          `dm.ini LISTEN_IP ${listenIp} differs from MAL_INST_HOST ${this.self.instHost}`,
          '§5.2',
        );
    }
    if (ini.archIni) {
      this.archives = loadArchIni(ini);
      let timers: Map<string, Map<string, string>> | undefined;
      if (ini.timerIni) timers = loadTimerIni(ini);
      for (const a of this.archives) {
        if (a.type === 'LOCAL') {
          fs.mkdirSync(ini.paths.map(a.dest), { recursive: true });
          continue;
        }
        if (a.type === 'RAFT') {
          // checked against the MP's registration by the DMDPC start (003 7.2.7.3)
          if (!this.state.dpc || this.state.dpc.role === 'SP')
            throw new DmError(
              E.CONFIG,
              `dmarch.ini [${a.section}] is a RAFT archive: those are for DMDPC BP and MP replicas only`,
              '003 7.2.7.3',
            );
          continue;
        }
        if (!this.mal)
          throw new DmError(
            E.CONFIG,
            `dmarch.ini [${a.section}] ${a.type} archive needs MAL_INI=1 and dmmal.ini`,
            '§5.3',
          );
        for (const d of destNames(a))
          if (!malInst(this.mal, d))
            throw new DmError(
              E.CONFIG,
              `dmarch.ini [${a.section}] ARCH_DEST ${d} is not an instance in dmmal.ini`,
              '§5.3',
            );
        if (a.type === 'REMOTE') {
          if (!this.state.dscNodes)
            throw new DmError(E.CONFIG, `REMOTE archives are for DMDSC nodes only`, '§5.3');
          fs.mkdirSync(ini.paths.map(a.incomingPath ?? ''), { recursive: true });
        }
        if (a.type === 'ASYNC') {
          if (!ini.timerIni)
            throw new DmError(
              E.CONFIG,
              this.state.dscNodes
                ? `dmarch.ini [${a.section}] is ASYNC but TIMER_INI=0 in dm.ini: when a DMDSC cluster is the source of an async standby, every node sets TIMER_INI = 1 and has dmtimer.ini`
                : `dmarch.ini [${a.section}] is ASYNC but TIMER_INI=0 in dm.ini`,
              this.state.dscNodes ? '7.5.1, 7.6.3.1' : '7.6.3.1',
            );
          if (!timers?.has((a.timerName ?? '').toUpperCase()))
            throw new DmError(
              E.CONFIG,
              `ARCH_TIMER_NAME ${a.timerName} is not a section of dmtimer.ini`,
              this.state.dscNodes ? '7.5.1, 7.6.3.4' : '7.6.3.4',
            );
        }
      }
      this.checkDscRemoteArchives();
    } else if (ini.timerIni) loadTimerIni(ini);
    if (ini.mppIni) this.mppDigest = loadMppCtl(ini).digest;
  }

  /**
   * §2.7.3: a DMDSC node archives to every other node (REMOTE, its ARCH_INCOMING_PATH being that
   * node's LOCAL archive directory), so that the control node sees every node's archive logs.
   */
  checkDscRemoteArchives(): void {
    const nodes = this.state.dscNodes;
    if (!nodes) return;
    const me = this.ini.instanceName.toUpperCase();
    for (const n of nodes) {
      if (n.toUpperCase() === me) continue;
      const ok = this.archives.some(
        (a) => a.type === 'REMOTE' && destNames(a).some((d) => d.toUpperCase() === n.toUpperCase()),
      );
      if (!ok)
        throw new DmError(
          E.CONFIG,
          `DMDSC node ${this.ini.instanceName} has ARCH_INI = 1 but no REMOTE archive to node ${n} in dmarch.ini; every DMDSC node must archive to every other node ([ARCHIVE_REMOTE] ARCH_TYPE = REMOTE, ARCH_DEST = ${n}, ARCH_INCOMING_PATH = ${n}'s LOCAL ARCH_DEST)`,
          '§2.7.3, 7.5.3.1',
        );
    }
  }

  // ------------------------------------------------------------ archive log files

  /**
   * With ARCH_INI = 1 the server writes an archive log file into each LOCAL ARCH_DEST when it
   * opens and when it shuts down normally (dmsim's stand-in for redo being archived). Names follow
   * DM's: <ARCH_NAME>_0x<DB_MAGIC>_EP<node>_<YYYY-MM-DD_HH-MM-SS>.log. A DMDSC offline backup needs
   * them on every node (7.5.3.3).
   */
  writeArchiveLogs(why: string): void {
    if (!this.ini.archIni) return;
    const s = this.refresh();
    const ep = s.dscNodes ? Math.max(0, s.dscNodes.indexOf(this.ini.instanceName)) : 0;
    const d = new Date();
    const p = (n: number) => String(n).padStart(2, '0');
    const stamp = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}_${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
    for (const a of this.archives.filter((x) => x.type === 'LOCAL')) {
      try {
        const dir = this.ini.paths.map(a.dest);
        fs.mkdirSync(dir, { recursive: true });
        const file = path.join(
          dir,
          `${a.section.toUpperCase()}_${dbMagicHex(s.dbMagic)}_EP${ep}_${stamp}.log`,
        );
        if (fs.existsSync(file)) continue;
        fs.writeFileSync(
          file,
          `DMSIM ARCHIVE LOG\ninstance=${this.ini.instanceName}\nep=${ep}\npermanent_magic=${s.permanentMagic}\ndb_magic=${s.dbMagic}\nlsn=${s.lsn}\nwhy=${why}\n`,
        );
        logAction('archive-log', { instance: this.ini.instanceName, file, why });
      } catch {
        /* an archive directory that cannot be written is reported by V$ARCH_STATUS */
      }
    }
  }

  // ------------------------------------------------------------ DMDSC: the host's dmcss and dmasmsvr

  /**
   * A DMDSC node lives under its host's dmcss (and dmasmsvr when on ASM): when either exits, the
   * node goes down abnormally (7.5.10: restarting dmcss forces dmasmsvr down, and the node with it).
   */
  watchDscServices(): void {
    const dcr = this.dcr;
    if (!dcr) return;
    const onAsm = [...this.ini.values.values()].some((v) => v.startsWith('+'));
    this.timers.push(
      setInterval(
        () => {
          if (this.shuttingDown) return;
          const procs = listProcesses();
          if (!procs.some((p) => p.tool === 'dmcss' && p.key === dcr.file))
            void this.abort(`the host's dmcss for ${dcr.file} exited (7.5.10)`);
          else if (onAsm && !procs.some((p) => p.tool === 'dmasmsvr' && p.key === dcr.file))
            void this.abort(`the host's dmasmsvr for ${dcr.file} exited (7.5.10)`);
        },
        Math.max(100, env.tickMs()),
      ),
    );
  }

  listenAddrs(): string[] {
    return this.ini.listenIp ? [this.ini.listenIp] : env.listen();
  }

  async listen(): Promise<void> {
    try {
      for (const a of this.listenAddrs())
        this.servers.push(await serveJson(a, this.ini.portNum, (m, c) => this.onSql(m, c)));
      if (this.dpc) await this.dpc.listen();
      if (this.dcp) await this.dcp.listen();
      if (this.self) {
        this.servers.push(await serveJson(this.self.host, this.self.port, (m) => this.onMal(m)));
        this.servers.push(
          await serveJson(this.self.host, this.self.instDwPort, (m, c) => this.onWatcher(m, c)),
        );
      }
    } catch (e) {
      for (const s of this.servers) s.close();
      throw e;
    }
  }

  writeRuntime(status: NodeRuntime['status'] = this.status): void {
    const r: NodeRuntime = {
      instance: this.ini.instanceName,
      pid: process.pid,
      status,
      host: hostId(),
      since: new Date().toISOString(),
    };
    try {
      writeFileAtomic(runtimeFile(this.ini), JSON.stringify(r));
    } catch {
      /* shared storage hiccup */
    }
  }

  /** Re-read the shared control file (a DMDSC sibling may have changed mode or OGUID). */
  refresh(): DbState {
    try {
      this.state = readState(this.ctl);
    } catch {
      /* keep the last one */
    }
    return this.state;
  }

  info(): InstanceInfo {
    const s = this.refresh();
    const i: InstanceInfo = {
      instance: this.ini.instanceName,
      pid: process.pid,
      mode: s.mode,
      status: this.status,
      oguid: s.oguid,
      permanentMagic: s.permanentMagic,
      dbMagic: s.dbMagic,
      dbId: s.dbId,
      port: this.ini.portNum,
      lsn: s.lsn,
      archives: this.archives.map(
        (a) => this.archStat.get(a.section) ?? { type: a.type, dest: a.dest, status: 'INVALID' },
      ),
      alterModeStatus: Number(this.params.get('ALTER_MODE_STATUS') ?? 1),
    };
    if (s.dscNodes) i.dscNodes = s.dscNodes;
    if (this.mal) i.malDigest = this.mal.digest;
    if (this.mppDigest) i.mppDigest = this.mppDigest;
    if (this.self) i.instHost = this.self.instHost;
    return i;
  }

  // ------------------------------------------------------------ archives (V$ARCH_STATUS)

  async probeArchives(): Promise<void> {
    const s = this.refresh();
    const gen = ++this.archGen;
    await Promise.all(
      this.archives.map(async (a) => {
        const stat = await this.probeArchive(a, s);
        if (gen < (this.archWritten.get(a.section) ?? 0)) return;
        this.archWritten.set(a.section, gen);
        this.archStat.set(a.section, stat);
      }),
    );
  }

  async probeArchive(a: Archive, s: DbState): Promise<ArchStat> {
    const st = (status: ArchStat['status'], reason?: string): ArchStat =>
      reason ? { type: a.type, dest: a.dest, status, reason } : { type: a.type, dest: a.dest, status };
    if (a.type === 'LOCAL') return st(fs.existsSync(this.ini.paths.map(a.dest)) ? 'VALID' : 'INVALID');
    if (a.type === 'RAFT')
      return this.dpc?.raftArchiveValid(a)
        ? st('VALID')
        : st('INVALID', 'RAFT archives are sent by the leader to the replicas following it (003 7.2.7.3)');
    if (a.type !== 'REMOTE' && a.type !== 'ASYNC' && s.mode !== 'PRIMARY')
      return st('INVALID', `${a.type} archives are sent only in PRIMARY mode (§2.2.3)`);
    if (a.type === 'ASYNC' && s.mode === 'NORMAL')
      return st('INVALID', 'NORMAL mode sends no ASYNC archive (§2.2.3)');
    if (Date.now() < this.recoverAfter)
      return st(
        'INVALID',
        'set INVALID by the switchover until the watcher recovers the standby (§6.5 step 8)',
      );
    if (destNames(a).some((n) => this.detached.has(n.toUpperCase())))
      return st('INVALID', 'detached by the monitor (§4.4 item 43)');
    let lastReason = 'unreachable';
    for (const name of destNames(a)) {
      const m = this.mal ? malInst(this.mal, name) : undefined;
      if (!m) continue;
      let r: Msg;
      try {
        r = await requestOnce(m.host, m.port, { op: 'mal-probe' }, 400);
      } catch {
        lastReason = `-6010 MAL link to ${name} lost`;
        continue;
      }
      if (a.type === 'REMOTE') return st('VALID');
      // §2.7.5: of a DMDSC standby only the control node, node 0, replays (the "重演实例")
      const nodes = r.dscNodes as string[] | undefined;
      if (nodes && nodes[0]?.toUpperCase() !== name.toUpperCase()) {
        lastReason = `${name} is not node 0 of its DMDSC cluster, the replay instance (§2.7.5)`;
        continue;
      }
      if (r.permanentMagic !== s.permanentMagic)
        return st('INVALID', `-533 PERMANENT_MAGIC of ${name} differs (7.1)`);
      if (r.oguid !== s.oguid) return st('INVALID', `OGUID of ${name} differs (§2.2.13)`);
      if (r.mode !== 'STANDBY') return st('INVALID', `-703 ${name} is in ${String(r.mode)} mode`);
      return st('VALID');
    }
    return st('INVALID', lastReason);
  }

  // ------------------------------------------------------------ protocol handlers

  /** The instances of the same group in dmmal.ini (OGUID alike) whose MAL answer passes `test`. */
  async peers(test: (r: Msg) => boolean): Promise<string[]> {
    const s = this.refresh();
    const out: string[] = [];
    for (const m of this.mal?.insts ?? []) {
      if (m.name.toUpperCase() === this.ini.instanceName.toUpperCase()) continue;
      const r = await requestOnce(m.host, m.port, { op: 'mal-probe' }, 400).catch(() => undefined);
      if (r && r.oguid === s.oguid && test(r)) out.push(m.name);
    }
    return out;
  }

  onMal(m: Msg): Msg {
    if (m.op !== 'mal-probe') return { ok: false, error: 'unknown MAL op' };
    const s = this.refresh();
    return {
      ok: true,
      instance: this.ini.instanceName,
      mode: s.mode,
      status: this.status,
      oguid: s.oguid,
      permanentMagic: s.permanentMagic,
      dbMagic: s.dbMagic,
      mountedBySql: this.status === 'MOUNT' && this.mountedBySql,
      ...(s.dscNodes ? { dscNodes: s.dscNodes } : {}),
    };
  }

  async onWatcher(m: Msg, c: ServerConn): Promise<Msg> {
    if (m.op === 'hello' || m.op === 'info') {
      this.watcher = {
        lastMsg: Date.now(),
        group: String(m.group ?? ''),
        dwType: String(m.dwType ?? ''),
        dwMode: String(m.dwMode ?? ''),
        dwStatus: String(m.dwStatus ?? 'STARTUP'),
        autoRestart: Number(m.autoRestart ?? 0),
      };
      c.data.set('watcher', true);
      return { ok: true, info: this.info() };
    }
    if (m.op === 'open') {
      this.touchWatcher();
      if (this.watcher) this.watcher.dwStatus = 'OPEN'; // the watcher goes to Open with its instance (§3.4)
      if (this.status === 'OPEN') return { ok: true, info: this.info() };
      await opDelay('open');
      this.status = 'OPEN';
      this.writeRuntime();
      this.opened('dmwatcher');
      logAction('open', {
        by: 'dmwatcher',
        force: true,
        instance: this.ini.instanceName,
        mode: this.state.mode,
      });
      void this.probeArchives();
      return { ok: true, info: this.info() };
    }
    if (m.op === 'check-login') {
      // dmmonitor `login` (§4.4 item 13), relayed by the watcher: the password is checked, never logged
      const okLogin =
        String(m.user ?? '').toUpperCase() === 'SYSDBA' &&
        checkPassword(this.refresh(), String(m.password ?? ''));
      if (!okLogin) throw new DmError(E.LOGIN, '用户名或密码错误');
      return { ok: true };
    }
    // what the instance holds now (a monitor command that checks the archives reads them fresh)
    if (m.op === 'peek') return { ok: true, info: this.info() };
    // §4.4 items 43-44: the monitor's detach/attach reach the primary through its watcher
    if (m.op === 'detach' || m.op === 'attach') {
      this.touchWatcher();
      if (this.refresh().mode !== 'PRIMARY')
        throw new DmError(
          E.STATE,
          `${m.op} database is carried out by the primary; ${this.ini.instanceName} is not`,
          '§4.4 item 43',
        );
      const db = String(m.db ?? '').toUpperCase();
      if (m.op === 'detach') this.detached.add(db);
      else this.detached.delete(db);
      logAction(m.op, { instance: this.ini.instanceName, db });
      await this.probeArchives();
      return { ok: true, info: this.info() };
    }
    // §6.5: the monitor's switchover, one step at a time through this instance's watcher
    if (m.op === 'switchover') return this.switchoverStep(m);
    // §6.5 step 9: the monitor reads the MPP configuration from a primary, and every group's
    // primary takes the one it builds from its groups' active primaries
    if (m.op === 'mppctl-read' || m.op === 'mppctl-update') return this.mppCtl(m);
    if (m.op === 'shutdown') {
      this.touchWatcher();
      setTimeout(() => void this.shutdown('dmwatcher (monitor command)'), 10);
      return { ok: true };
    }
    return { ok: false, error: `unknown op ${String(m.op)}` };
  }

  /**
   * One step of §6.5's switchover on this instance: MOUNT, the new mode, dmmpp.ctl naming the new
   * primary (step 9, on every group's primary), OPEN. Only a watcher in Switchover state sends them.
   */
  async switchoverStep(m: Msg): Promise<Msg> {
    this.touchWatcher();
    if (this.watcher) this.watcher.dwStatus = 'SWITCHOVER';
    const step = String(m.step ?? '');
    await opDelay('sql');
    if (step === 'mount' || step === 'open') {
      this.status = step === 'mount' ? 'MOUNT' : 'OPEN';
      this.mountedBySql = false;
      this.writeRuntime();
      if (step === 'open') {
        this.opened('switchover');
        void this.probeArchives();
      }
    } else if (step === 'mode') {
      const mode = m.mode === 'PRIMARY' ? 'PRIMARY' : 'STANDBY';
      if (this.status !== 'MOUNT')
        throw new DmError(E.STATE, `${this.ini.instanceName} must be in MOUNT to become ${mode}`, '§6.5');
      this.state = updateState(this.ctl, (x) => {
        x.mode = mode;
      });
      if (mode === 'PRIMARY') this.recoverAfter = Date.now() + 3000;
    } else throw new DmError(E.NOT_SUPPORTED, `switchover step ${step} is not modelled`);
    logAction('switchover-step', {
      instance: this.ini.instanceName,
      step,
      ...(m.mode ? { mode: m.mode } : {}),
    });
    return { ok: true, info: this.info() };
  }

  /** dmmpp.ctl of a primary: read (`mppctl-read`) or replaced by the monitor's (`mppctl-update`). */
  mppCtl(m: Msg): Msg {
    this.touchWatcher();
    const file = [
      path.join(this.ini.configPath, 'dmmpp.ctl'),
      path.join(this.ini.systemPath, 'dmmpp.ctl'),
    ].find((f) => fs.existsSync(f));
    if (!this.ini.mppIni || !file)
      throw new DmError(E.CONFIG, `${this.ini.instanceName} has no dmmpp.ctl`, '7.4.3.4');
    if (this.refresh().mode !== 'PRIMARY')
      throw new DmError(
        E.STATE,
        `${this.ini.instanceName} is not a primary: the monitor reads and writes the primaries' dmmpp.ctl`,
        '§6.5 step 9',
      );
    if (m.op === 'mppctl-read') return { ok: true, entries: decodeMppCtl(fs.readFileSync(file), file) };
    const entries = m.entries as MppEntry[] | undefined;
    if (!Array.isArray(entries) || !entries.length)
      throw new DmError(E.INVALID_ARG, 'mppctl-update carries no entries', '§6.5 step 9');
    writeFileAtomic(file, encodeMppCtl(entries));
    this.mppDigest = loadMppCtl(this.ini).digest;
    logAction('mppctl-update', {
      instance: this.ini.instanceName,
      primaries: entries.map((e) => e.instName),
    });
    return { ok: true };
  }

  touchWatcher(): void {
    if (this.watcher) this.watcher.lastMsg = Date.now();
  }

  watcherActive(): boolean {
    const interval = Number(this.params.get('DW_INACTIVE_INTERVAL') ?? 60);
    return !!this.watcher && interval > 0 && Date.now() - this.watcher.lastMsg < interval * 1000;
  }

  /** V$SESSIONS: a session opens (001:L287-289: DCP_FLAG). */
  sessionOpened(c: ServerConn, user: string, dcpFlag: 'Y' | 'N'): void {
    const ip = c.remote.replace(/:\d+$/, '').replace(/^::ffff:/, '');
    this.sessions.set(c, { id: this.nextSessId++, user, ip, created: nowStamp(), dcpFlag });
    c.onClose(() => this.sessions.delete(c));
  }

  /**
   * PORT_NUM (SQL) and, on a DCP, DCP_PORT_NUM (`via` 'pmc', 001:L171-173). On a DCP, PORT_NUM is
   * the applications' port: their sessions are forwarded to an EP (../dcp.ts).
   */
  async onSql(m: Msg, c: ServerConn, via?: 'pmc'): Promise<Msg> {
    if (this.dcp && via !== 'pmc') return this.dcp.onClient(m, c);
    if (m.op === 'login') {
      const user = String(m.user ?? '').toUpperCase();
      const pw = String(m.password ?? '');
      // a DCP's PMC also takes its local accounts (001:L173); elsewhere only SYSDBA is modelled
      const okLogin =
        user === 'SYSDBA' ? checkPassword(this.refresh(), pw) : !!this.dcp && this.dcp.checkUser(user, pw);
      if (!okLogin) {
        logAction('login-failed', { user: m.user, from: c.remote });
        throw new DmError(E.LOGIN, '用户名或密码错误');
      }
      // DIsql's MPP_TYPE (DIsql manual 2.1.2.2): no effect on a non-MPP instance. On an MPP_INI=1
      // instance a GLOBAL session needs the MPP system, which is formed only once the EPs are OPEN;
      // in MOUNT only a LOCAL session can set OGUID and mode (7.4.3.6, 7.4.3.7)
      const mppType = String(m.mppType ?? 'GLOBAL').toUpperCase() === 'LOCAL' ? 'LOCAL' : 'GLOBAL';
      if (this.ini.mppIni && mppType === 'GLOBAL' && this.status !== 'OPEN') {
        logAction('login-refused', { user: m.user, from: c.remote, mppType, status: this.status });
        throw new DmError(
          E.MPP,
          `MPP GLOBAL session refused: MPP_INI = 1 and instance ${this.ini.instanceName} is in ${this.status} state, so the MPP system is not formed; log in with MPP_TYPE = LOCAL (SYSDBA/<password>@host:port#{MPP_TYPE=LOCAL}) to set OGUID and mode`,
          '7.4.3.6, 7.4.3.7',
        );
      }
      c.data.set('user', user);
      c.data.set('dba', user === 'SYSDBA');
      c.data.set('mppType', mppType);
      // DCP_FLAG (001:L287-289): on a DCP, a PMC session; on an EP, a session a DCP opened
      this.sessionOpened(c, user, via === 'pmc' || typeof m.dcp === 'string' ? 'Y' : 'N');
      return {
        ok: true,
        status: this.status,
        mode: this.state.mode,
        instance: this.ini.instanceName,
        mppType,
      };
    }
    // a DCP's SP_DCP_REFRESH_CONFIG asks a logged-in session for the MPP configuration (../dcp.ts)
    if (m.op === 'mpp-config') {
      if (!c.data.get('user')) throw new DmError(E.LOGIN, 'not logged in');
      return mppConfigReply(this);
    }
    if (m.op !== 'sql') return { ok: false, error: `unknown op ${String(m.op)}` };
    if (!c.data.get('user')) throw new DmError(E.LOGIN, 'not logged in');
    const sql = String(m.sql ?? '');
    let st: Stmt;
    try {
      st = parseStmt(sql);
    } catch (e) {
      logAction('exec', { stmt: redactSql(sql), ok: false, error: (e as Error).message });
      throw e;
    }
    try {
      this.dcp?.guard(st, c);
      const fault = st.kind === 'select' ? undefined : takeFault(sql);
      if (fault) throw new DmError(E.STATE, `dmsim injected fault (${fault}): the statement failed`);
      const r = await this.exec(st);
      if (st.kind !== 'select') logAction('exec', { stmt: redactSql(sql), ok: true });
      return { ok: true, ...r };
    } catch (e) {
      logAction('exec', { stmt: redactSql(sql), ok: false, error: (e as Error).message });
      throw e;
    }
  }

  // ------------------------------------------------------------ SQL

  /** Every manual change of mode, status or OGUID goes through here (§5.1, §2.2.3, §2.2.13). */
  assertManualChange(what: string, opts: { needMount: boolean; normalExempt: boolean }): void {
    if (this.watcherActive())
      throw new DmError(
        E.WATCHER_ACTIVE,
        `${what} refused: a dmwatcher is active (last message ${Math.round((Date.now() - (this.watcher?.lastMsg ?? 0)) / 1000)} s ago, DW_INACTIVE_INTERVAL = ${this.params.get('DW_INACTIVE_INTERVAL') ?? 60} s)`,
        '§5.1 DW_INACTIVE_INTERVAL',
      );
    const ams = Number(this.params.get('ALTER_MODE_STATUS') ?? 1);
    const s = this.refresh();
    if (ams === 0 && !(opts.normalExempt && s.mode === 'NORMAL'))
      throw new DmError(
        E.ALTER_MODE,
        `${what} refused: ALTER_MODE_STATUS = 0; set SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1) first`,
        '§5.1 ALTER_MODE_STATUS',
      );
    if (opts.needMount && this.status !== 'MOUNT')
      throw new DmError(
        E.STATE,
        `${what} refused: the database is ${this.status}; it must be in MOUNT state`,
        what.startsWith('SP_SET_OGUID') ? '§2.2.13' : '§2.2.3',
      );
  }

  async exec(st: Stmt): Promise<{ kind: string; message?: string; columns?: string[]; rows?: Cell[][] }> {
    switch (st.kind) {
      case 'set_para': {
        if (st.scope !== 1 && st.scope !== 2)
          throw new DmError(E.INVALID_ARG, 'SP_SET_PARA_VALUE scope must be 1 or 2');
        // §5.1: RLOG_SEND_APPLY_MON is a static parameter: only the file (scope 2) takes it
        if (st.name === 'RLOG_SEND_APPLY_MON' && st.scope === 1)
          throw new DmError(
            -839,
            'parameter RLOG_SEND_APPLY_MON is static (§5.1): set it in dm.ini (scope 2) and restart the server',
          );
        const range = PARAM_RANGES[st.name];
        if (!range) {
          if (PARAM_TYPES[st.name] === 'IN FILE')
            throw new DmError(
              -839,
              `parameter ${st.name} is static; change it in dm.ini while the server is stopped`,
            );
          throw new DmError(-839, `parameter ${st.name} is not modelled by dmsim`);
        }
        const v = Number(st.value);
        if (!Number.isInteger(v) || v < range[0] || v > range[1])
          throw new DmError(-837, `value ${st.value} of ${st.name} is out of range ${range[0]}~${range[1]}`);
        setDmIniValue(this.iniPath, st.name, String(v));
        if (st.scope === 1) this.params.set(st.name, String(v));
        return { kind: 'proc' };
      }
      case 'set_oguid': {
        this.assertManualChange(`SP_SET_OGUID(${st.oguid})`, { needMount: true, normalExempt: false });
        if (st.oguid < 0 || st.oguid > 2147483647)
          throw new DmError(E.INVALID_ARG, 'OGUID must be 0~2147483647', '§2.2.13');
        await opDelay('sql');
        this.state = updateState(this.ctl, (s) => {
          s.oguid = st.oguid;
        });
        return { kind: 'proc' };
      }
      case 'alter_mode': {
        if (this.dpc?.raft)
          throw new DmError(
            E.ALTER_MODE,
            `ALTER DATABASE ${st.mode} refused: ${this.ini.instanceName} is a replica of RAFT group ${this.dpc.raft.group}, whose mode the group's election sets (ALTER_MODE_STATUS = 0)`,
            '003 7.2.7.2 (003:L458)',
          );
        this.assertManualChange(`ALTER DATABASE ${st.mode}`, { needMount: true, normalExempt: true });
        const s = this.refresh();
        if (s.dscNodes) {
          const rts = new Map(runtimes(this.ctl).map((r) => [r.instance, r]));
          for (const n of s.dscNodes) {
            const r = rts.get(n);
            if (!isRunning(r) || r?.status !== 'MOUNT')
              throw new DmError(
                E.STATE,
                `ALTER DATABASE ${st.mode} refused: DMDSC node ${n} is not in MOUNT state; every node must be`,
                '§2.2.3',
              );
          }
        }
        await opDelay('sql');
        this.state = updateState(this.ctl, (x) => {
          x.mode = st.mode;
        });
        void this.probeArchives();
        return { kind: 'done' };
      }
      case 'mount': {
        if (this.status === 'MOUNT') throw new DmError(E.STATE, 'the database is already in MOUNT state');
        this.assertManualChange('ALTER DATABASE MOUNT', { needMount: false, normalExempt: true });
        // 7.9.4/7.10.4 item 2: the primary goes to MOUNT first, or it "may hang" on its standbys.
        // DM8 warns, it does not refuse: the hazard is logged for the tests to hold the order to
        const open = await this.peers((r) => r.mode === 'PRIMARY' && r.status === 'OPEN');
        if (this.refresh().mode === 'STANDBY' && open.length)
          logAction('hazard', {
            rule: '7.10.4 item 2',
            instance: this.ini.instanceName,
            reason: `ALTER DATABASE MOUNT of standby ${this.ini.instanceName} while its primary ${open.join(', ')} is OPEN: the manual puts the primary in MOUNT first, or it may hang`,
          });
        await opDelay('sql');
        this.status = 'MOUNT';
        this.mountedBySql = true;
        this.writeRuntime();
        return { kind: 'done' };
      }
      case 'open': {
        if (this.status === 'OPEN') throw new DmError(E.STATE, 'the database is already OPEN');
        this.assertManualChange(`ALTER DATABASE OPEN${st.force ? ' FORCE' : ''}`, {
          needMount: false,
          normalExempt: true,
        });
        const s = this.refresh();
        if (s.mode !== 'NORMAL' && !st.force)
          throw new DmError(
            E.MODE,
            `ALTER DATABASE OPEN refused: a ${s.mode} database must be opened with FORCE`,
            '§2.2.4',
          );
        // 7.9.4/7.10.4 item 4: the standbys that were put in MOUNT open first, then the primary
        const mounted = await this.peers((r) => r.mode === 'STANDBY' && r.mountedBySql === true);
        if (s.mode === 'PRIMARY' && mounted.length)
          logAction('hazard', {
            rule: '7.10.4 item 4',
            instance: this.ini.instanceName,
            reason: `ALTER DATABASE OPEN FORCE of primary ${this.ini.instanceName} while standby ${mounted.join(', ')} is still in the MOUNT it was put in: the manual opens the standbys first, or the primary may hang`,
          });
        await opDelay('sql');
        this.status = 'OPEN';
        this.mountedBySql = false;
        if (s.mode === 'NORMAL') this.everOpenNormal = true;
        this.writeRuntime();
        this.opened('ALTER DATABASE OPEN');
        void this.probeArchives();
        return { kind: 'done' };
      }
      case 'suspend':
        throw new DmError(E.NOT_SUPPORTED, 'ALTER DATABASE SUSPEND is not modelled by dmsim');
      case 'add_archivelog':
        return this.addArchivelog(st.spec);
      case 'delete_archivelog':
        return this.deleteArchivelog(st.spec);
      case 'backup': {
        if (this.status !== 'OPEN')
          throw new DmError(E.STATE, 'online backup needs the database OPEN', '7.1.2');
        if (!this.ini.archIni || !this.archives.some((a) => a.type === 'LOCAL'))
          throw new DmError(
            E.BACKUP,
            'backup needs a LOCAL archive: ARCH_INI = 1 and an ARCH_TYPE = LOCAL section in dmarch.ini',
            '7.1',
          );
        await opDelay('backup');
        const s = this.refresh();
        const meta = writeBackupSet(
          st.dir,
          st.name ?? defaultBackupName(s.dbName),
          true,
          this.ini.instanceName,
          s,
        );
        logAction('backup', { online: true, dir: st.dir, name: meta.name });
        return { kind: 'done' };
      }
      case 'mal_config': {
        if (!this.ini.malIni) throw new DmError(E.CONFIG, 'MAL_INI = 0: the MAL system is off', '7.8.3');
        if (st.on === 1) this.malConfig = { on: true, adds: [] };
        else if (st.on === 0) this.malConfig = { on: false, adds: [] };
        else throw new DmError(E.INVALID_ARG, 'SF_MAL_CONFIG(1|0, 0)');
        return { kind: 'proc' };
      }
      case 'mal_inst_add': {
        if (!this.malConfig.on)
          throw new DmError(E.STATE, 'call SF_MAL_CONFIG(1,0) before SF_MAL_INST_ADD', '7.8.3');
        const a = st.args;
        if (
          a.length !== 9 ||
          typeof a[0] !== 'string' ||
          typeof a[1] !== 'string' ||
          typeof a[2] !== 'string' ||
          typeof a[4] !== 'string'
        )
          throw new DmError(
            E.INVALID_ARG,
            "SF_MAL_INST_ADD('MAL_INSTn','NAME','MAL_HOST',MAL_PORT,'MAL_INST_HOST',MAL_INST_PORT,MAL_DW_PORT,MAL_LINK_MAGIC,MAL_INST_DW_PORT)",
            '7.8.3',
          );
        const inst: MalInst = {
          section: a[0].toUpperCase(),
          name: a[1],
          host: a[2],
          port: Number(a[3]),
          instHost: a[4],
          instPort: Number(a[5]),
          dwPort: Number(a[6]),
          linkMagic: Number(a[7]),
          instDwPort: Number(a[8]),
        };
        const mal = this.mal;
        if (mal && (malInst(mal, inst.name) || mal.insts.some((i) => i.section === inst.section)))
          throw new DmError(
            E.EXISTS,
            `MAL instance ${inst.name} / [${inst.section}] already exists`,
            '7.8.3',
          );
        this.malConfig.adds.push(inst);
        return { kind: 'proc' };
      }
      case 'mal_config_apply': {
        if (!this.malConfig.on) throw new DmError(E.STATE, 'call SF_MAL_CONFIG(1,0) first', '7.8.3');
        const file = path.join(this.ini.configPath, 'dmmal.ini');
        let text = fs.readFileSync(file, 'utf8');
        if (!text.endsWith('\n')) text += '\n';
        for (const i of this.malConfig.adds)
          text += `\n[${i.section}]\n\tMAL_INST_NAME = ${i.name}\n\tMAL_HOST = ${i.host}\n\tMAL_PORT = ${i.port}\n\tMAL_INST_HOST = ${i.instHost}\n\tMAL_INST_PORT = ${i.instPort}\n\tMAL_DW_PORT = ${i.dwPort}\n\tMAL_LINK_MAGIC = ${i.linkMagic}\n\tMAL_INST_DW_PORT = ${i.instDwPort}\n`;
        writeFileAtomic(file, text);
        this.mal = loadMalIni(this.ini);
        this.malConfig.adds = [];
        return { kind: 'proc' };
      }
      case 'shutdown':
        setTimeout(() => void this.shutdown('SQL SHUTDOWN ' + st.how), 20);
        return { kind: 'done' };
      case 'dpc_proc':
        if (!this.dpc)
          throw new DmError(
            E.STATE,
            `${st.name} refused: ${this.ini.instanceName} is not a DMDPC MP; registration is done logged in to the MP`,
            '003 7.1.4 (003:L81)',
          );
        await opDelay('sql');
        return this.dpc.proc(st.name, st.args);
      case 'dcp_proc':
        if (!this.dcp)
          throw new DmError(
            E.STATE,
            `${st.name} refused: ${this.ini.instanceName} is not a DCP (dm.ini ENABLE_DCP_MODE = 0); the SP_DCP_* procedures are called on a DCP's DCP_PORT_NUM`,
            '001:L134, L173',
          );
        await opDelay('sql');
        return this.dcp.proc(st.name, st.args);
      case 'create_user':
        if (!this.dcp)
          throw new DmError(
            E.NOT_SUPPORTED,
            'CREATE USER is modelled by dmsim only on a DCP (its local PMC accounts, 001:L173)',
          );
        return this.dcp.createUser(st.user, st.password);
      case 'select': {
        const v = await this.select(st);
        return { kind: 'rows', columns: v.columns, rows: v.rows };
      }
    }
  }

  addArchivelog(spec: string): { kind: string } {
    if (this.status !== 'MOUNT')
      throw new DmError(E.STATE, 'archive configuration can be changed only in MOUNT state', '§2.2.4, 7.8.4');
    if (!this.ini.archIni) throw new DmError(E.CONFIG, 'ARCH_INI = 0', '7.8.4');
    const kv = new Map<string, string>();
    for (const part of spec.split(',')) {
      const [k, v] = part.split('=');
      if (!k || v === undefined)
        throw new DmError(E.SYNTAX, `ADD ARCHIVELOG '${spec}': expected KEY=VALUE, ...`);
      kv.set(k.trim().toUpperCase(), v.trim());
    }
    const type = (kv.get('TYPE') ?? '').toUpperCase();
    const dest = kv.get('DEST');
    if (!dest || !['LOCAL', 'REALTIME', 'TIMELY', 'ASYNC', 'SYNC', 'REMOTE'].includes(type))
      throw new DmError(E.SYNTAX, `ADD ARCHIVELOG '${spec}': DEST and a valid TYPE are required`, '7.8.4');
    if (type !== 'LOCAL')
      for (const d of dest.split('/'))
        if (!this.mal || !malInst(this.mal, d))
          throw new DmError(E.CONFIG, `ARCH_DEST ${d} is not an instance in dmmal.ini`, '§5.3');
    const file = path.join(this.ini.configPath, 'dmarch.ini');
    let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (text && !text.endsWith('\n')) text += '\n';
    const n = this.archives.filter((a) => a.section.toUpperCase().startsWith(`ARCHIVE_${type}`)).length + 1;
    const lines = [`[ARCHIVE_${type}${n}]`, `\tARCH_TYPE = ${type}`, `\tARCH_DEST = ${dest}`];
    if (type === 'LOCAL')
      lines.push(
        `\tARCH_FILE_SIZE = ${kv.get('FILE_SIZE') ?? 1024}`,
        `\tARCH_SPACE_LIMIT = ${kv.get('SPACE_LIMIT') ?? 0}`,
      );
    if (type === 'ASYNC') {
      const t = kv.get('TIMER_NAME');
      if (!t) throw new DmError(E.SYNTAX, 'an ASYNC archive needs TIMER_NAME', '§5.3');
      lines.push(`\tARCH_TIMER_NAME = ${t}`);
    }
    writeFileAtomic(file, text + '\n' + lines.join('\n') + '\n');
    this.archives = loadArchIni(this.ini);
    void this.probeArchives();
    return { kind: 'done' };
  }

  /**
   * DM8 SQL manual, ALTER DATABASE: `DELETE ARCHIVELOG 'DEST = <dest>'` (only the destination is
   * named), in MOUNT; a LOCAL archive is never deleted while the database archives.
   */
  deleteArchivelog(spec: string): { kind: string } {
    if (this.status !== 'MOUNT')
      throw new DmError(E.STATE, 'archive configuration can be changed only in MOUNT state', '§2.2.4, 7.8.4');
    if (!this.ini.archIni) throw new DmError(E.CONFIG, 'ARCH_INI = 0', '7.8.4');
    const m = /^\s*DEST\s*=\s*([^,]+?)\s*$/i.exec(spec);
    if (!m) throw new DmError(E.SYNTAX, `DELETE ARCHIVELOG '${spec}': expected 'DEST=<dest>' only`);
    const dest = m[1] ?? '';
    const a = this.archives.find((x) => x.dest === dest);
    if (!a) throw new DmError(E.CONFIG, `no archive with ARCH_DEST = ${dest}`, '§5.3');
    if (a.type === 'LOCAL')
      throw new DmError(E.STATE, `the LOCAL archive ${dest} cannot be deleted while the database archives`);
    const file = path.join(this.ini.configPath, 'dmarch.ini');
    // the file without that one section: its header line up to the next section
    const out: string[] = [];
    let skip = false;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const sec = /^\s*\[([^\]]+)\]/.exec(line);
      if (sec) skip = (sec[1] ?? '').trim().toUpperCase() === a.section.toUpperCase();
      if (!skip) out.push(line);
    }
    writeFileAtomic(file, out.join('\n'));
    this.archives = loadArchIni(this.ini);
    this.archStat.delete(a.section);
    void this.probeArchives();
    return { kind: 'done' };
  }

  async select(st: Extract<Stmt, { kind: 'select' }>): Promise<View> {
    const from = (st.from ?? '').replace(/^SYS\./, '');
    if (this.dpc && DPC_TABLES.includes(from)) {
      const t = this.dpc.table(from);
      if (t) return selectFrom(t, st, from);
    }
    // the DCP's tables and views (001 3.1, 5.3, 5.4); not on other instances (无效的表或视图名)
    if (this.dcp && DCP_OBJECTS.includes(from)) return selectFrom(this.dcp.table(from), st, from);
    // 003:L189-192, L580-586: on an SP every query but a V$ view fails while a BP group is unusable
    if (this.dpc?.role === 'SP' && !from.startsWith('V$')) await this.dpc.assertUsable();
    if (!st.from || st.from === 'DUAL') {
      const s = this.refresh();
      const vals: Cell[] = st.cols.map((c) => {
        const e = c.expr.toUpperCase().replace(/\(\s*\)$/, '');
        if (/^-?\d+$/.test(e)) return Number(e);
        if (/^'.*'$/.test(c.expr)) return c.expr.slice(1, -1);
        if (e === 'PERMANENT_MAGIC') return s.permanentMagic;
        if (e === 'SYSDATE' || e === 'NOW') return nowStamp();
        throw new DmError(-2111, `无效的列名[${c.expr}]`);
      });
      return { columns: st.cols.map((c) => c.alias), rows: [vals] };
    }
    const name = st.from.replace(/^SYS\./, '');
    const view = await this.view(name);
    if (!view) throw new DmError(E.NO_TABLE, `无效的表或视图名[${st.from}]`);
    return selectFrom(view, st, name);
  }

  async view(name: string): Promise<View | undefined> {
    const s = this.refresh();
    switch (name) {
      case 'V$INSTANCE': {
        const v = this.instanceView(s);
        // 003:L200: on an SP, V$INSTANCE shows the instances of every RAFT group
        if (this.dpc?.role === 'SP' && v.rows[0])
          v.rows = await this.dpc.spInstanceRows(v.rows[0], v.columns);
        return v;
      }
      default:
        return this.otherView(name, s);
    }
  }

  instanceView(s: DbState): View {
    return {
      columns: [
        'INSTANCE_NAME',
        'INSTANCE_NUMBER',
        'HOST_NAME',
        'SVR_VERSION',
        'DB_VERSION',
        'START_TIME',
        'STATUS$',
        'MODE$',
        'OGUID',
        'DSC_SEQNO',
        'DSC_ROLE',
      ],
      rows: [
        [
          this.ini.instanceName,
          1,
          os.hostname(),
          'DM Database Server 64 V8 (dmsim)',
          'DB Version: 0x7000c',
          nowStamp(this.startTime),
          this.status,
          s.mode,
          s.oguid,
          s.dscNodes ? s.dscNodes.indexOf(this.ini.instanceName) : 0,
          s.dscNodes ? (s.dscNodes[0] === this.ini.instanceName ? 'CONTROL' : 'NORMAL') : 'NULL',
        ],
      ],
    };
  }

  async otherView(name: string, s: DbState): Promise<View | undefined> {
    switch (name) {
      case 'V$DATABASE':
        return {
          columns: [
            'NAME',
            'CREATE_TIME',
            'ARCH_MODE',
            'STATUS$',
            'ROLE$',
            'PERMANENT_MAGIC',
            'DB_MAGIC',
            'DSC_NODES',
            'OPEN_COUNT',
          ],
          rows: [
            [
              s.dbName,
              s.created,
              this.ini.archIni ? 'Y' : 'N',
              this.status === 'OPEN' ? 4 : 3,
              s.mode === 'PRIMARY' ? 1 : s.mode === 'STANDBY' ? 2 : 0,
              s.permanentMagic,
              s.dbMagic,
              s.dscNodes?.length ?? 1,
              1,
            ],
          ],
        };
      case 'V$ARCH_STATUS': {
        await this.probeArchives();
        return {
          columns: ['ARCH_TYPE', 'ARCH_DEST', 'ARCH_STATUS', 'ARCH_SRC'],
          rows: this.archives.map((a) => {
            const x = this.archStat.get(a.section);
            // §10 V$ARCH_STATUS: ARCH_DEST is the path for LOCAL and REMOTE archives (a REMOTE
            // one's ARCH_INCOMING_PATH), the target instance otherwise; ARCH_SRC names a REMOTE
            // archive's source instance
            return [
              a.type,
              a.type === 'REMOTE' ? (a.incomingPath ?? a.dest) : a.dest,
              x?.status ?? 'INVALID',
              a.type === 'REMOTE' ? a.dest : this.ini.instanceName,
            ];
          }),
        };
      }
      case 'V$DM_ARCH_INI':
        return {
          columns: [
            'ARCH_NAME',
            'ARCH_TYPE',
            'ARCH_DEST',
            'ARCH_FILE_SIZE',
            'ARCH_SPACE_LIMIT',
            'ARCH_HANG_FLAG',
            'ARCH_TIMER_NAME',
            'ARCH_IS_VALID',
            'ARCH_WAIT_APPLY',
            'ARCH_INCOMING_PATH',
            'ARCH_CURR_DEST',
            'ARCH_SEND_DELAY',
          ],
          rows: this.archives.map((a) => [
            a.section,
            a.type,
            a.dest,
            a.fileSize ?? null,
            a.spaceLimit ?? null,
            a.type === 'LOCAL' || a.type === 'REMOTE' ? 1 : null,
            a.timerName ?? null,
            this.archStat.get(a.section)?.status === 'VALID' ? 'Y' : 'N',
            a.type === 'LOCAL' ? null : 0,
            a.incomingPath ?? null,
            a.type === 'LOCAL' ? null : (destNames(a)[0] ?? null),
            a.type === 'ASYNC' ? 0 : null,
          ]),
        };
      case 'V$DM_MAL_INI':
        return {
          columns: [
            'MAL_NAME',
            'MAL_INST_NAME',
            'MAL_HOST',
            'MAL_PORT',
            'MAL_INST_HOST',
            'MAL_INST_PORT',
            'MAL_DW_PORT',
            'MAL_LINK_MAGIC',
            'MAL_INST_DW_PORT',
          ],
          rows: (this.mal?.insts ?? []).map((i) => [
            i.section,
            i.name,
            i.host,
            i.port,
            i.instHost,
            i.instPort,
            i.dwPort,
            i.linkMagic,
            i.instDwPort,
          ]),
        };
      case 'V$MAL_LINK_STATUS': {
        const rows: Cell[][] = [];
        for (const i of this.mal?.insts ?? []) {
          if (i.name === this.ini.instanceName) continue;
          let ok = false;
          try {
            await requestOnce(i.host, i.port, { op: 'mal-probe' }, 300);
            ok = true;
          } catch {
            ok = false;
          }
          const st2 = ok ? 'CONNECTED' : 'DISCONNECT';
          rows.push([this.ini.instanceName, i.name, st2, st2]);
        }
        return { columns: ['SRC_SITE', 'DEST_SITE', 'CTL_LINK_STATUS', 'DATA_LINK_STATUS'], rows };
      }
      case 'V$DMWATCHER': {
        const w = this.watcher;
        if (!w) return { columns: DMWATCHER_COLS, rows: [] };
        return {
          columns: DMWATCHER_COLS,
          rows: [
            [
              1,
              w.group,
              this.ini.instanceName,
              w.dwType,
              w.dwMode,
              w.autoRestart,
              w.dwStatus,
              'NONE',
              nowStamp(new Date(w.lastMsg)),
              0,
              0,
              0,
              0,
            ],
          ],
        };
      }
      case 'V$SESSIONS':
        // only the columns dmsim models; DCP_FLAG as 001:L287-289 defines it
        return {
          columns: ['SESS_ID', 'USER_NAME', 'CURR_SCH', 'CLNT_IP', 'CREATE_TIME', 'DCP_FLAG'],
          rows: [...this.sessions.values()].map((x) => [x.id, x.user, x.user, x.ip, x.created, x.dcpFlag]),
        };
      case 'V$DM_INI':
      case 'V$PARAMETER': {
        const fileVals = loadDmIniValues(this.iniPath);
        // DM lists every parameter it has; dmsim, every one it models or the file or memory holds
        const keys = [
          ...new Set([...this.params.keys(), ...fileVals.keys(), ...Object.keys(PARAM_TYPES)]),
        ].sort();
        return name === 'V$DM_INI'
          ? {
              columns: ['PARA_NAME', 'PARA_VALUE', 'FILE_VALUE'],
              rows: keys.map((k) => [k, this.params.get(k) ?? null, fileVals.get(k) ?? null]),
            }
          : {
              columns: ['NAME', 'TYPE', 'VALUE', 'SYS_VALUE', 'FILE_VALUE'],
              rows: keys.map((k) => [
                k,
                PARAM_TYPES[k] ?? null,
                this.params.get(k) ?? null,
                this.params.get(k) ?? null,
                fileVals.get(k) ?? null,
              ]),
            };
      }
      default:
        return undefined;
    }
  }

  // ------------------------------------------------------------ console and shutdown

  console(): void {
    const rl = readline.createInterface({ input: process.stdin });
    rl.on('line', (l) => {
      if (/^\s*exit\s*$/i.test(l)) void this.shutdown('console exit');
      // 003 7.2.10: `exit all` on a RAFT replica is the group's coordinated exit
      else if (/^\s*exit\s+all\s*$/i.test(l)) {
        if (this.dpc) void this.dpc.exitAll('console exit all');
        else void this.shutdown('console exit');
      }
    });
    rl.on('close', () => undefined);
  }

  async shutdown(why: string): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const t of this.timers) clearInterval(t);
    let lastShutdown: DbState['lastShutdown'] = 'NORMAL';
    const s = this.refresh();
    // §6.4: a primary that can no longer send its redo to a standby it was in sync with exits abnormally
    if (s.mode === 'PRIMARY' && this.status === 'OPEN') {
      const before = new Map(this.archStat);
      for (const a of this.archives.filter((x) => x.type === 'REALTIME' || x.type === 'TIMELY')) {
        if (before.get(a.section)?.status !== 'VALID') continue;
        const now = await this.probeArchive(a, s);
        if (now.status !== 'VALID') {
          lastShutdown = 'ABNORMAL';
          logAction('shutdown-abnormal', {
            instance: this.ini.instanceName,
            reason: `the primary could not send its last redo to ${a.dest}: shut the primary down before its standbys (§6.4)`,
          });
        }
      }
    }
    await opDelay('shutdown');
    if (lastShutdown === 'NORMAL' && this.everOpen) this.writeArchiveLogs('normal shutdown');
    for (const srv of this.servers) srv.close();
    this.writeRuntime('SHUTDOWN');
    const others = (this.state.dscNodes ?? []).filter((n) => n !== this.ini.instanceName);
    const othersRunning = runtimes(this.ctl).some((r) => others.includes(r.instance) && isRunning(r));
    try {
      const st = readState(this.ctl);
      if (this.everOpenNormal && lastShutdown === 'NORMAL') st.firstNormalStartDone = true;
      if (!othersRunning || lastShutdown === 'ABNORMAL') st.lastShutdown = lastShutdown;
      writeState(this.ctl, st);
    } catch {
      /* control file gone: nothing to record */
    }
    logAction('shutdown', { instance: this.ini.instanceName, why, normal: lastShutdown === 'NORMAL' });
    process.stdout.write(`shutdown ${lastShutdown === 'NORMAL' ? 'successfully' : 'abnormally'} (${why}).\n`);
    setTimeout(() => process.exit(0), 10);
  }

  /**
   * DMDPC HALT (003 7.1.8 注意): the instance goes down at once, abnormally; the next start replays
   * REDO (it still starts).
   */
  async halt(reason: string): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const t of this.timers) clearInterval(t);
    logAction('halt', { instance: this.ini.instanceName, reason });
    for (const srv of this.servers) srv.close();
    this.writeRuntime('SHUTDOWN');
    try {
      updateState(this.ctl, (st) => {
        st.lastShutdown = 'ABNORMAL';
        st.needsRedo = true;
      });
    } catch {
      /* control file gone */
    }
    logAction('shutdown', { instance: this.ini.instanceName, why: `HALT: ${reason}`, normal: false });
    process.stdout.write(`HALT: ${reason}\nshutdown abnormally.\n`);
    setTimeout(() => process.exit(1), 10);
  }

  /** The instance goes down at once, as after a crash: no archive, the control file says ABNORMAL. */
  async abort(reason: string): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const t of this.timers) clearInterval(t);
    logAction('shutdown-abnormal', { instance: this.ini.instanceName, reason });
    for (const srv of this.servers) srv.close();
    this.writeRuntime('SHUTDOWN');
    try {
      updateState(this.ctl, (st) => {
        st.lastShutdown = 'ABNORMAL';
      });
    } catch {
      /* control file gone */
    }
    logAction('shutdown', { instance: this.ini.instanceName, why: reason, normal: false });
    process.stdout.write(`shutdown abnormally (${reason}).\n`);
    setTimeout(() => process.exit(1), 10);
  }
}

const DMWATCHER_COLS = [
  'N_GROUP',
  'GROUP_NAME',
  'INST_NAME',
  'DW_TYPE',
  'DW_MODE',
  'AUTO_RESTART',
  'DW_STATUS',
  'DW_SUB_STATUS',
  'LAST_MSG_TIME',
  'SWITCH_COUNT',
  'CTL_NUM',
  'INST_NUM',
  'MAX_CONN_NUM',
];

function loadDmIniValues(file: string): Map<string, string> {
  try {
    return loadDmIni(file).values;
  } catch {
    return new Map();
  }
}
