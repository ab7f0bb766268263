/**
 * dmwatcher <dmwatcher.ini> [-noconsole]     (also path=<dmwatcher.ini>)    §3, 7.2.6
 *
 * One process guards the instance of every [group] section (one per group; an MPP watcher
 * guards several groups, 7.4.7). Per group it connects to its instance on
 * MAL_HOST:MAL_INST_DW_PORT, listens on MAL_DW_PORT (other watchers and monitors connect
 * there) and polls the watchers of its realtime/timely peers (dmarch.ini ARCH_DEST, resolved
 * through dmmal.ini). It opens its instance (OPEN FORCE) only when the group is consistent (§6.2):
 * LOCAL type at once; GLOBAL type when OGUIDs, dmmal.ini and permanent magic agree, there is at
 * most one primary, and (primary) every peer can join it or (standby) an open primary exists.
 */
import path from 'node:path';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import {
  allowKeys,
  DmError,
  E,
  env,
  listProcesses,
  logAction,
  nowStamp,
  parseDmArgs,
  registerProcess,
  sleep,
} from '../common';
import {
  destNames,
  loadArchIni,
  loadDcrIni,
  loadDmIni,
  loadMalIni,
  loadWatcherIni,
  malInst,
  PathMap,
  type DcrIni,
  type DmIni,
  type MalIni,
  type MalInst,
  type WatcherGroup,
  setSectionValue,
} from '../config';
import { JsonClient, requestOnce, serveJson, type Msg, type ServerConn } from '../net';
import type { InstanceInfo } from './dmserver';
import { noRestartFlag, restartConfigured, type DmcssInfo } from './dsc';
import { isRunning, runtimes } from '../state';

export type DwState = 'STARTUP' | 'OPEN' | 'SHUTDOWN' | 'OPEN FORCE' | 'SWITCHOVER';

export interface WatcherEntry {
  group: string;
  oguid: number;
  dwType: string;
  dwMode: string;
  state: DwState;
  instance: string;
  malHost: string;
  dwPort: number;
  instHost: string;
  instPort: number;
  autoRestart: boolean;
  inst?: InstanceInfo;
  /** Why the watcher does not open its instance (with the manual section). */
  reason?: string;
  confirmMonitor?: { uid: string; mid?: number };
  wtime: string;
}

interface PeerView {
  name: string;
  mal: MalInst;
  entry?: WatcherEntry;
  firstTry: number;
  lastSeen: number;
}

const WATCHER_KEYS = ['PATH'];

/** What `set group [g] para value` may change (§4.4 item 34). */
export const SETTABLE_PARAS = new Set([
  'DW_ERROR_TIME',
  'INST_RECOVER_TIME',
  'INST_ERROR_TIME',
  'INST_AUTO_RESTART',
  'INST_SERVICE_IP_CHECK',
  'RLOG_SEND_THRESHOLD',
  'RLOG_APPLY_THRESHOLD',
]);

export async function dmwatcher(argv: string[]): Promise<number> {
  const args = parseDmArgs(argv);
  allowKeys(args, 'dmwatcher', WATCHER_KEYS);
  let file = args.kv.get('PATH');
  let noconsole = false;
  for (const w of args.words) {
    if (/^-noconsole$/i.test(w)) noconsole = true;
    else if (!file && !w.startsWith('-')) file = w;
    else throw new DmError(E.INVALID_ARG, `dmwatcher: invalid parameter ${w}`);
  }
  if (!file) throw new DmError(E.INVALID_ARG, 'dmwatcher: the path of dmwatcher.ini is required');
  const groups = loadWatcherIni(file).map((g) => new GroupCtl(g));
  const w = new Watcher(path.resolve(file), groups);
  await w.start();
  if (!noconsole && !process.stdin.isTTY) w.console();
  return new Promise<number>(() => undefined);
}

class Watcher {
  servers: import('node:net').Server[] = [];
  constructor(
    readonly file: string,
    readonly groups: GroupCtl[],
  ) {}

  async start(): Promise<void> {
    const ports = new Set<number>();
    for (const g of this.groups) {
      if (ports.has(g.self.dwPort))
        throw new DmError(E.CONFIG, `two groups use MAL_DW_PORT ${g.self.dwPort}`, '§5.7');
      ports.add(g.self.dwPort);
    }
    try {
      for (const port of ports)
        for (const addr of env.listen())
          this.servers.push(await serveJson(addr, port, (m, c) => this.onMsg(m, c)));
    } catch (e) {
      for (const s of this.servers) s.close();
      throw e;
    }
    registerProcess(this.file);
    logAction('start', { ini: this.file, groups: this.groups.map((g) => g.cfg.group) });
    process.stdout.write(
      `DMWATCHER[4.0] V8 (dmsim)\nDMWATCHER[4.0] IS READY\n${this.groups.map((g) => `[${g.cfg.group}] ${g.cfg.type} ${g.cfg.mode} guards ${g.ini.instanceName}`).join('\n')}\n`,
    );
    for (const sig of ['SIGTERM', 'SIGINT'] as const)
      process.on(sig, () => {
        logAction('exit', { ini: this.file, why: sig });
        process.exit(0);
      });
    process.on('SIGHUP', () => undefined);
    void this.loop();
  }

  async loop(): Promise<void> {
    for (;;) {
      await Promise.all(this.groups.map((g) => g.tick().catch(() => undefined)));
      await sleep(env.tickMs());
    }
  }

  console(): void {
    const rl = readline.createInterface({ input: process.stdin });
    rl.on('line', (l) => {
      const t = l.trim().toLowerCase();
      if (t === 'exit') {
        logAction('exit', { ini: this.file, why: 'console exit' });
        process.exit(0);
      }
      if (t === 'show' || t === 'status')
        for (const g of this.groups)
          process.stdout.write(
            `[${g.cfg.group}] ${g.state} ${g.inst?.status ?? 'UNKNOWN'} ${g.inst?.mode ?? ''} ${g.reason ?? ''}\n`,
          );
    });
  }

  entries(): WatcherEntry[] {
    return this.groups.map((g) => g.entry());
  }

  async onMsg(m: Msg, c: ServerConn): Promise<Msg> {
    switch (m.op) {
      case 'peer-info':
      case 'mon-info':
        return { ok: true, pid: process.pid, entries: this.entries() };
      case 'mon-register':
        return this.register(m, c);
      case 'mon-cmd': {
        const g = this.groups.find((x) => x.cfg.group.toUpperCase() === String(m.group ?? '').toUpperCase());
        if (!g) throw new DmError(-1, `this watcher does not guard group ${String(m.group)}`);
        if (m.cmd === 'set-para') return this.setPara(g, String(m.para ?? ''), String(m.value ?? ''));
        return g.command(
          String(m.cmd ?? ''),
          String(m.db ?? ''),
          m.arg && typeof m.arg === 'object' ? (m.arg as Record<string, unknown>) : undefined,
        );
      }
      case 'mon-login': {
        // relayed to the instance; the monitor host may not reach MAL_INST_HOST (7.2.1: DW_M is on the internal network only)
        const g = this.groups.find((x) => x.cfg.group.toUpperCase() === String(m.group ?? '').toUpperCase());
        if (!g?.link) throw new DmError(E.CONNECT, 'the instance of this watcher is not reachable');
        const r = await g.link.request({ op: 'check-login', user: m.user, password: m.password }, 3000);
        logAction('mon-login', { group: g.cfg.group, ok: r.ok !== false });
        return r;
      }
      default:
        return { ok: false, error: `unknown op ${String(m.op)}` };
    }
  }

  /**
   * §4.4 item 34, `set group [g] para value` from a monitor: the watcher takes the value in memory
   * and in its dmwatcher.ini. Only the parameters the manual lists; values as §5.4 bounds them.
   */
  setPara(g: GroupCtl, para: string, value: string): Msg {
    const name = para.toUpperCase();
    const v = Number(value);
    if (!SETTABLE_PARAS.has(name))
      throw new DmError(
        -1,
        `set group cannot change ${name}: only ${[...SETTABLE_PARAS].join(', ')}`,
        '§4.4 item 34',
      );
    if (!Number.isInteger(v) || v < 0)
      throw new DmError(-1, `${name} = ${value} is not a valid value`, '§5.4');
    if ((name === 'DW_ERROR_TIME' || name === 'INST_ERROR_TIME') && (v < 3 || v > 32767))
      throw new DmError(-1, `${name} must be 3~32767`, '§5.4');
    if (name === 'INST_RECOVER_TIME' && (v < 3 || v > 86400))
      throw new DmError(-1, `INST_RECOVER_TIME must be 3~86400`, '§5.4');
    if (name === 'INST_AUTO_RESTART' && v > 1) throw new DmError(-1, 'INST_AUTO_RESTART is 0 or 1', '§5.4');
    if (name === 'INST_AUTO_RESTART' && v === 1 && !g.cfg.startupCmd)
      throw new DmError(-1, 'INST_AUTO_RESTART = 1 needs INST_STARTUP_CMD', '§5.4');
    setSectionValue(this.file, g.cfg.group, name, String(v));
    if (name === 'DW_ERROR_TIME') g.cfg.dwErrorTime = v;
    if (name === 'INST_ERROR_TIME') g.cfg.instErrorTime = v;
    if (name === 'INST_RECOVER_TIME') g.cfg.instRecoverTime = v;
    if (name === 'INST_AUTO_RESTART') g.cfg.autoRestart = v === 1;
    logAction('set-para', { group: g.cfg.group, instance: g.ini.instanceName, para: name, value: v });
    return { ok: true };
  }

  /** A monitor announces itself (§4.1, §5.5, 7.2.5.1). */
  register(m: Msg, c: ServerConn): Msg {
    const g = this.groups.find((x) => x.self.dwPort === c.localPort);
    if (!g) throw new DmError(-1, 'no group on this port');
    const group = String(m.group ?? '');
    if (group.toUpperCase() !== g.cfg.group.toUpperCase())
      throw new DmError(
        E.CONFIG,
        `dmmonitor.ini group [${group}] lists ${String(m.dialHost)}:${String(m.dialPort)}, but that watcher guards group [${g.cfg.group}]; the group names must match`,
        '§2.2.14, §5.5',
      );
    if (Number(m.oguid) !== g.cfg.oguid)
      throw new DmError(
        E.CONFIG,
        `MON_INST_OGUID ${String(m.oguid)} differs from the watcher's INST_OGUID ${g.cfg.oguid}`,
        '§2.2.13',
      );
    if (String(m.dialHost) !== g.self.host || Number(m.dialPort) !== g.self.dwPort)
      throw new DmError(
        E.CONFIG,
        `MON_DW_IP ${String(m.dialHost)}:${String(m.dialPort)} does not match the watcher's MAL_HOST:MAL_DW_PORT ${g.self.host}:${g.self.dwPort} in dmmal.ini`,
        '7.2.5.1, §5.5',
      );
    const uid = String(m.uid ?? '');
    if (m.confirm === true) {
      const mid = m.mid === undefined || m.mid === null ? undefined : Number(m.mid);
      const other = g.confirmMonitors().find((x) => x.uid !== uid && (mid === undefined || x.mid !== mid));
      if (other)
        throw new DmError(
          E.CONFIG,
          `group ${g.cfg.group} already has a confirm monitor (MON_DW_CONFIRM = 1); a second one is refused and exits`,
          '§3.3, §4.1',
        );
      const reg: { uid: string; mid?: number } = { uid };
      if (mid !== undefined) reg.mid = mid;
      g.localConfirm.set(uid, reg);
      c.onClose(() => g.localConfirm.delete(uid));
    }
    logAction('monitor-register', { group: g.cfg.group, confirm: m.confirm === true, from: c.remote });
    return { ok: true, entry: g.entry() };
  }
}

class GroupCtl {
  ini: DmIni;
  dcr?: DcrIni;
  mal: MalIni;
  self: MalInst;
  peers: PeerView[] = [];
  link?: JsonClient;
  linking = false;
  inst?: InstanceInfo;
  instSeen = 0;
  readonly started = Date.now();
  state: DwState = 'STARTUP';
  reason?: string;
  private reported = new Set<string>();
  opening = false;
  lastRestart = 0;
  localConfirm = new Map<string, { uid: string; mid?: number }>();

  constructor(readonly cfg: WatcherGroup) {
    if (cfg.dcrIni) this.dcr = loadDcrIni(cfg.dcrIni);
    this.ini = loadDmIni(cfg.instIni, this.dcr ? new PathMap(this.dcr.asmRoot) : PathMap.fromDcrIni());
    if (!this.ini.malIni)
      throw new DmError(
        E.CONFIG,
        `[${cfg.group}] ${cfg.instIni}: MAL_INI = 0; a watcher reaches its instance through dmmal.ini MAL_INST_DW_PORT`,
        '7.2.3.1, §5.2',
      );
    this.mal = loadMalIni(this.ini);
    const self = malInst(this.mal, this.ini.instanceName);
    if (!self)
      throw new DmError(E.CONFIG, `dmmal.ini has no MAL_INST_NAME = ${this.ini.instanceName}`, '§5.2');
    this.self = self;
    const archives = this.ini.archIni ? loadArchIni(this.ini) : [];
    const rt = archives.filter((a) => a.type === 'REALTIME' || a.type === 'TIMELY');
    if (cfg.type === 'GLOBAL' && !rt.length)
      throw new DmError(
        E.CONFIG,
        `[${cfg.group}] DW_TYPE = GLOBAL but instance ${this.ini.instanceName} has no REALTIME or TIMELY archive in dmarch.ini (ARCH_INI = ${this.ini.archIni ? 1 : 0}); dmwatcher fails to start`,
        '§3.2',
      );
    if (cfg.type === 'GLOBAL') {
      const names = [...new Set(rt.flatMap(destNames))].filter(
        (n) => n.toUpperCase() !== this.ini.instanceName.toUpperCase(),
      );
      for (const n of names) {
        const m = malInst(this.mal, n);
        if (!m) throw new DmError(E.CONFIG, `ARCH_DEST ${n} is not an instance in dmmal.ini`, '§5.3');
        this.peers.push({ name: n, mal: m, firstTry: Date.now(), lastSeen: 0 });
      }
    }
  }

  entry(): WatcherEntry {
    const e: WatcherEntry = {
      group: this.cfg.group,
      oguid: this.cfg.oguid,
      dwType: this.cfg.type,
      dwMode: this.cfg.mode,
      state: this.state,
      instance: this.ini.instanceName,
      malHost: this.self.host,
      dwPort: this.self.dwPort,
      instHost: this.self.instHost,
      instPort: this.self.instPort,
      autoRestart: this.cfg.autoRestart,
      wtime: nowStamp(),
    };
    if (this.inst && Date.now() - this.instSeen < 3000) e.inst = this.inst;
    if (this.reason) e.reason = this.reason;
    // only a confirm monitor connected to this watcher: passing on a peer's report would let two
    // watchers echo a monitor that is gone to each other for ever (real watchers time it out)
    const cm = [...this.localConfirm.values()][0];
    if (cm) e.confirmMonitor = cm;
    return e;
  }

  /** Confirm monitors connected to this watcher, or (as last reported) to its peers. */
  confirmMonitors(): { uid: string; mid?: number }[] {
    const out = [...this.localConfirm.values()];
    for (const p of this.peers) {
      const c = p.entry?.confirmMonitor;
      if (c && Date.now() - p.lastSeen < 3000 && !out.some((x) => x.uid === c.uid)) out.push(c);
    }
    return out;
  }

  private refuse(reason: string | undefined): void {
    this.reason = reason;
    if (reason && !this.reported.has(reason)) {
      this.reported.add(reason);
      process.stderr.write(`[${this.cfg.group}] ${nowStamp()} ${reason}\n`);
      logAction('refuse', { group: this.cfg.group, instance: this.ini.instanceName, reason });
    }
  }

  async tick(): Promise<void> {
    await this.heartbeat();
    if (this.cfg.type === 'GLOBAL') await this.pollPeers();
    this.evaluate();
  }

  async heartbeat(): Promise<void> {
    if (!this.link || this.link.closed) {
      this.link = undefined;
      try {
        const c = await JsonClient.connect(this.self.host, this.self.instDwPort, 500);
        this.link = c;
      } catch {
        this.inst = undefined;
        if (this.state === 'OPEN' || this.state === 'OPEN FORCE') this.setState('STARTUP', 'instance lost');
        this.maybeRestart();
        return;
      }
    }
    try {
      const r = await this.link.request(
        {
          op: 'info',
          group: this.cfg.group,
          oguid: this.cfg.oguid,
          dwType: this.cfg.type,
          dwMode: this.cfg.mode,
          dwStatus: this.state,
          autoRestart: this.cfg.autoRestart ? 1 : 0,
        },
        1000,
      );
      if (r.ok) {
        this.inst = r.info as InstanceInfo;
        this.instSeen = Date.now();
      }
    } catch {
      this.link?.close();
      this.link = undefined;
    }
  }

  /** INST_AUTO_RESTART (§3.1.1): restart a vanished instance after INST_ERROR_TIME, never in Shutdown state. */
  maybeRestart(): void {
    if (!this.cfg.autoRestart || this.state === 'SHUTDOWN' || this.dcr || !this.cfg.startupCmd) return;
    const since = Math.max(this.instSeen, this.started, this.lastRestart);
    if (Date.now() - since < this.cfg.instErrorTime * 1000) return;
    this.lastRestart = Date.now();
    const cmd = this.cfg.startupCmd.trim().split(/\s+/);
    const out = fs.openSync(path.join(this.ini.configPath, 'dmsim_dmserver_restart.out'), 'a');
    logAction('restart-instance', {
      group: this.cfg.group,
      cmd: [...cmd, `path=${this.ini.file}`, '-noconsole'],
    });
    const child = spawn(cmd[0] ?? '', [...cmd.slice(1), `path=${this.ini.file}`, '-noconsole'], {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, DMSIM_DAEMON: '0' },
    });
    child.on('error', () => undefined);
    child.unref();
    fs.closeSync(out);
  }

  async pollPeers(): Promise<void> {
    await Promise.all(
      this.peers.map(async (p) => {
        try {
          const r = await requestOnce(p.mal.host, p.mal.dwPort, { op: 'peer-info' }, 500);
          const entries = (r.entries as WatcherEntry[]) ?? [];
          p.entry = entries.find((e) => e.instance.toUpperCase() === p.name.toUpperCase());
          p.lastSeen = Date.now();
        } catch {
          if (Date.now() - p.lastSeen > 1500) p.entry = undefined;
        }
      }),
    );
  }

  setState(s: DwState, why: string): void {
    if (this.state === s) return;
    logAction('dw-state', {
      group: this.cfg.group,
      instance: this.ini.instanceName,
      from: this.state,
      to: s,
      why,
    });
    this.state = s;
  }

  evaluate(): void {
    // §6.5: in Switchover state the monitor drives the instance, step by step
    if (this.state === 'SHUTDOWN' || this.state === 'SWITCHOVER') return;
    const inst = this.inst;
    if (!inst)
      return this.refuse(
        `instance ${this.ini.instanceName} is not reachable on ${this.self.host}:${this.self.instDwPort}`,
      );
    if (inst.oguid !== this.cfg.oguid)
      return this.refuse(
        `watcher INST_OGUID ${this.cfg.oguid} differs from database ${inst.instance}'s OGUID ${inst.oguid}; the database, watchers and monitor of a group must use the same OGUID (DM8 manual §2.2.13, 7.2.3.6)`,
      );
    if (inst.status === 'OPEN') {
      this.refuse(undefined);
      if (this.state === 'STARTUP') this.setState('OPEN', 'instance is open');
      return;
    }
    if (this.cfg.type === 'LOCAL') {
      if (inst.mode === 'NORMAL')
        return this.refuse(
          `database ${inst.instance} is in NORMAL mode; a guarded database must be PRIMARY or STANDBY (DM8 manual 7.6.5.8)`,
        );
      this.refuse(undefined);
      return this.open('LOCAL watcher opens its instance (§3.2, §6.2)');
    }
    const why = this.globalCheck(inst);
    if (typeof why === 'string') return this.refuse(why);
    this.refuse(undefined);
    if (why.open) this.open(why.note);
    else this.reason = why.note;
  }

  /** §6.2: may a GLOBAL watcher open its MOUNT instance now? A string is a refusal. */
  globalCheck(inst: InstanceInfo): string | { open: boolean; note: string } {
    if (inst.mode === 'NORMAL')
      return `database ${inst.instance} is in NORMAL mode; set it PRIMARY or STANDBY in MOUNT before starting the watcher (DM8 manual 7.2.3.7)`;
    const errorAfter = this.cfg.dwErrorTime * 1000;
    const joined: { name: string; e: WatcherEntry; i: InstanceInfo }[] = [];
    const pending: string[] = [];
    for (const p of this.peers) {
      const e = p.entry;
      const i = e?.inst;
      if (!e || !i) {
        const since = Math.max(p.lastSeen, this.started);
        if (Date.now() - since < errorAfter)
          pending.push(`${p.name} (${e ? 'its instance is not running' : 'its watcher is not reachable'})`);
        continue;
      }
      if (e.group.toUpperCase() !== this.cfg.group.toUpperCase() || e.oguid !== this.cfg.oguid)
        return `peer ${p.name}'s watcher is in group ${e.group} with INST_OGUID ${e.oguid}, not ${this.cfg.group}/${this.cfg.oguid} (DM8 manual §2.2.13, §2.2.14)`;
      if (i.oguid !== this.cfg.oguid)
        return `peer database ${p.name} has OGUID ${i.oguid}, not ${this.cfg.oguid} (DM8 manual §2.2.13)`;
      if (i.malDigest !== inst.malDigest)
        return `dmmal.ini of ${p.name} differs from dmmal.ini of ${inst.instance}; every instance of a group must use an identical dmmal.ini (DM8 manual 7.2.3.2, §5.2)`;
      if (i.permanentMagic !== inst.permanentMagic)
        return `PERMANENT_MAGIC of ${p.name} (${i.permanentMagic}) differs from ${inst.instance}'s (${inst.permanentMagic}): the standby was not made by backup/restore from the primary (DM8 manual 7.1)`;
      const siblings = !!inst.dscNodes && i.dbId === inst.dbId && inst.dscNodes.includes(p.name);
      if (i.dbId === inst.dbId && !siblings)
        return `${p.name} and ${inst.instance} are copies of the same data files; prepare standbys by backup/restore, not by copying (DM8 manual 7.1)`;
      if (i.dbId !== inst.dbId && i.dbMagic === inst.dbMagic)
        return `DB_MAGIC of ${p.name} equals ${inst.instance}'s: run RECOVER DATABASE ... UPDATE DB_MAGIC after the restore (DM8 manual 7.1)`;
      if (i.mppDigest !== inst.mppDigest)
        return `dmmpp.ctl of ${p.name} differs from ${inst.instance}'s (DM8 manual §6.16, 7.4.3.4)`;
      joined.push({ name: p.name, e, i });
    }
    const primaries = new Set<string>();
    if (inst.mode === 'PRIMARY') primaries.add(inst.dbId);
    for (const j of joined) if (j.i.mode === 'PRIMARY') primaries.add(j.i.dbId);
    if (primaries.size > 1)
      return `more than one PRIMARY database in group ${this.cfg.group} (${[inst, ...joined.map((j) => j.i)]
        .filter((x) => x.mode === 'PRIMARY')
        .map((x) => x.instance)
        .join(', ')}); the watcher will not open either (DM8 manual §2.2.16)`;
    if (inst.mode === 'PRIMARY') {
      if (pending.length)
        return {
          open: false,
          note: `waiting for ${pending.join(', ')} (§6.2: a primary opens when every remote database can join it)`,
        };
      return { open: true, note: 'every remote database can join the primary (§6.2)' };
    }
    const primary = joined.find((j) => j.i.mode === 'PRIMARY' && j.i.status === 'OPEN');
    if (!primary) return { open: false, note: 'waiting for an open primary to join (§6.2)' };
    // §2.7.10 2): the other nodes of a DMDSC standby may not run before node 0, the replay instance
    const node0 = inst.dscNodes?.[0];
    if (node0 && node0 !== inst.instance) {
      const r = runtimes(this.ini.ctlPath).find((x) => x.instance === node0);
      if (!isRunning(r) || r?.status !== 'OPEN')
        return {
          open: false,
          note: `waiting for node 0 (${node0}) of this DMDSC standby to open: it is the replay instance (§2.7.5, §2.7.10)`,
        };
    }
    return { open: true, note: `standby can join primary ${primary.name} (§6.2)` };
  }

  open(note: string): void {
    if (this.opening || !this.link) return;
    this.opening = true;
    const link = this.link;
    void (async () => {
      try {
        logAction('open-instance', { group: this.cfg.group, instance: this.ini.instanceName, note });
        const r = await link.request({ op: 'open' }, 30_000);
        if (r.ok) {
          this.inst = r.info as InstanceInfo;
          this.instSeen = Date.now();
          this.setState('OPEN', note);
        }
      } catch {
        /* retried next tick */
      } finally {
        this.opening = false;
      }
    })();
  }

  /**
   * §4.4 items 30, 31 (`set group [g] auto restart on|off`): the watcher of a DMDSC node passes the
   * command to its host's dmcss, whose in-memory restart flag it sets; dmdcr.ini is not touched and
   * a restarted dmcss starts with restart on again. Fails when that dmcss has no restart settings.
   */
  setAutoRestart(on: boolean): Msg {
    const dcr = this.dcr;
    if (!dcr) return { ok: true, dsc: false };
    const css = listProcesses().find((p) => p.tool === 'dmcss' && p.key === dcr.file);
    if (!css)
      throw new DmError(
        E.DSC,
        `no dmcss runs for ${dcr.file} on the host of ${this.ini.instanceName}'s watcher`,
        '§2.7.2, §4.4',
      );
    if (!restartConfigured(css.info as DmcssInfo | undefined))
      throw new DmError(
        E.DSC,
        `the dmcss of ${this.ini.instanceName} (${dcr.file}) has no restart parameters (DMDCR_DB_RESTART_INTERVAL/DMDCR_DB_STARTUP_CMD, as read when it started)`,
        '§4.4 items 30, 31',
      );
    const flag = noRestartFlag(dcr.file);
    if (on) fs.rmSync(flag, { force: true });
    else fs.writeFileSync(flag, 'set group auto restart off\n');
    logAction('auto-restart', { group: this.cfg.group, instance: this.ini.instanceName, on, dmcss: css.pid });
    return { ok: true, dsc: true, instance: this.ini.instanceName };
  }

  /** Monitor commands forwarded to this group (§4.4). */
  async command(cmd: string, db = '', arg?: Record<string, unknown>): Promise<Msg> {
    logAction('mon-cmd', { group: this.cfg.group, instance: this.ini.instanceName, cmd });
    switch (cmd) {
      case 'detach':
      case 'attach': {
        if (!this.link)
          throw new DmError(E.STATE, `instance ${this.ini.instanceName} is not reachable`, '§4.4');
        const r = await this.link.request({ op: cmd, db }, 5000);
        if (r.ok === false) throw new DmError(E.STATE, String(r.error ?? `${cmd} failed`));
        return { ok: true };
      }
      case 'peek': {
        if (!this.link)
          throw new DmError(E.STATE, `instance ${this.ini.instanceName} is not reachable`, '§4.4');
        return this.link.request({ op: 'peek' }, 5000);
      }
      case 'stop-database': {
        // §4.4 item 49: the watcher to Shutdown (it restarts nothing), then the instance normally
        this.setState('SHUTDOWN', 'monitor: stop database');
        if (!this.link) return { ok: true, already: true };
        if (this.dcr) fs.writeFileSync(noRestartFlag(this.dcr.file), 'stop database\n');
        await this.link.request({ op: 'shutdown' }, 5000);
        return { ok: true };
      }
      case 'stop-watcher':
        this.setState('SHUTDOWN', 'monitor: stop dmwatcher / stop group');
        return { ok: true, entry: this.entry() };
      case 'startup-watcher':
        if (this.state === 'SHUTDOWN') this.setState('STARTUP', 'monitor: startup dmwatcher');
        return { ok: true, entry: this.entry() };
      case 'shutdown-instance': {
        if (!this.link) return { ok: true, already: true };
        if (this.dcr) fs.writeFileSync(noRestartFlag(this.dcr.file), 'stop group\n');
        await this.link.request({ op: 'shutdown' }, 5000);
        return { ok: true };
      }
      case 'auto-restart-on':
      case 'auto-restart-off':
        return this.setAutoRestart(cmd === 'auto-restart-on');
      // §6.5 steps 1 and 12: the watcher to Switchover state and back to Open
      case 'switchover-begin':
        if (this.state !== 'OPEN')
          throw new DmError(
            E.STATE,
            `守护进程(${this.ini.instanceName})不是OPEN状态(${this.state})`,
            '§6.5 conditions 1-2',
          );
        this.setState('SWITCHOVER', 'monitor: switchover');
        return { ok: true };
      case 'switchover-end':
        if (this.state === 'SWITCHOVER') this.setState('OPEN', 'monitor: switchover done');
        return { ok: true, entry: this.entry() };
      // §6.5 steps 2-11, one at a time: MOUNT, mode, dmmpp.ctl, OPEN
      case 'switchover-step': {
        if (this.state !== 'SWITCHOVER')
          throw new DmError(E.STATE, `守护进程(${this.ini.instanceName})不在Switchover状态`, '§6.5 step 1');
        if (!this.link)
          throw new DmError(E.STATE, `instance ${this.ini.instanceName} is not reachable`, '§6.5');
        const r = await this.link.request({ op: 'switchover', ...(arg ?? {}) }, 30_000);
        if (r.ok === false)
          throw new DmError(Number(r.code ?? E.STATE), String(r.error ?? 'switchover step failed'));
        this.inst = r.info as InstanceInfo;
        this.instSeen = Date.now();
        return { ok: true };
      }
      // §6.5 step 9: this group's primary takes the new dmmpp.ctl
      case 'mppctl-read':
      case 'mppctl-update': {
        if (!this.link)
          throw new DmError(E.STATE, `instance ${this.ini.instanceName} is not reachable`, '§6.5 step 9');
        const r = await this.link.request({ op: cmd, ...(arg ?? {}) }, 30_000);
        if (r.ok === false) throw new DmError(Number(r.code ?? E.STATE), String(r.error ?? `${cmd} failed`));
        return r;
      }
      case 'open-force': {
        const inst = this.inst;
        if (!inst || !this.link)
          throw new DmError(
            E.STATE,
            `instance ${this.ini.instanceName} is not reachable`,
            '§4.4 open database',
          );
        if (inst.oguid !== this.cfg.oguid)
          throw new DmError(E.STATE, `OGUID mismatch: ${this.reason ?? ''}`, '§2.2.13');
        if (inst.status === 'OPEN') return { ok: true, entry: this.entry() };
        this.setState('OPEN FORCE', 'monitor: open database');
        const r = await this.link.request({ op: 'open' }, 30_000);
        this.inst = r.info as InstanceInfo;
        this.setState('OPEN', 'forced open');
        return { ok: true, entry: this.entry() };
      }
      default:
        throw new DmError(E.NOT_SUPPORTED, `monitor command ${cmd} is not modelled`);
    }
  }
}
