/**
 * dmmonitor <dmmonitor.ini>      (also path=<dmmonitor.ini>)          §4, 7.2.7
 *
 * Connects to every MON_DW_IP and keeps the connections. Commands are read from standard input,
 * one per line (§4.4): help, exit, show [group], show global info, show database [g.]db,
 * show version, show monitor, list, tip, check open [g.]db, login (the next two lines are the
 * user and the password), logout, stop group [g], startup dmwatcher [g], stop dmwatcher [g],
 * open database [g.]db, set group [g] auto restart on|off, set group [g] para_name para_value. At the end of input a normal monitor
 * exits; a confirm monitor (MON_DW_CONFIRM = 1) keeps running until `exit` or SIGTERM. The exit
 * status is non-zero when a command failed or the monitor was refused.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import {
  allowKeys,
  DmError,
  E,
  env,
  logAction,
  nowStamp,
  opDelay,
  parseDmArgs,
  registerProcess,
  sleep,
} from '../common';
import { loadMonitorIni, type MonitorIni, type MppEntry } from '../config';
import { JsonClient, raise } from '../net';
import type { WatcherEntry } from './dmwatcher';

interface Endpoint {
  group: string;
  oguid: number;
  dbIndex: number;
  host: string;
  port: number;
  client?: JsonClient;
  entry?: WatcherEntry;
  lastSeen: number;
  tried: boolean;
  refused?: DmError;
}

export async function dmmonitor(argv: string[]): Promise<number> {
  const args = parseDmArgs(argv);
  allowKeys(args, 'dmmonitor', ['PATH']);
  let file = args.kv.get('PATH');
  for (const w of args.words) {
    if (!file && !w.startsWith('-')) file = w;
    else throw new DmError(E.INVALID_ARG, `dmmonitor: invalid parameter ${w}`);
  }
  if (!file) throw new DmError(E.INVALID_ARG, 'dmmonitor: the path of dmmonitor.ini is required');
  const m = new Monitor(loadMonitorIni(file));
  return m.run();
}

class Monitor {
  uid = crypto.randomUUID();
  eps: Endpoint[] = [];
  loggedIn = false;
  failed = false;
  logFile?: string;
  closing = false;

  constructor(readonly ini: MonitorIni) {
    ini.groups.forEach((g) =>
      g.dbs.forEach((db, dbIndex) =>
        db.forEach((hp) =>
          this.eps.push({
            group: g.group,
            oguid: g.oguid,
            dbIndex,
            host: hp.host,
            port: hp.port,
            lastSeen: 0,
            tried: false,
          }),
        ),
      ),
    );
  }

  out(s: string): void {
    process.stdout.write(s.endsWith('\n') ? s : s + '\n');
    if (this.logFile) {
      try {
        fs.appendFileSync(this.logFile, s.endsWith('\n') ? s : s + '\n');
      } catch {
        /* log is best effort */
      }
    }
  }

  async run(): Promise<number> {
    try {
      fs.mkdirSync(this.ini.logPath, { recursive: true });
      this.logFile = path.join(this.ini.logPath, `dmmonitor_${nowStamp().slice(0, 7).replace('-', '')}.log`);
    } catch {
      /* MON_LOG_PATH not writable: run without a log, as the console still works */
    }
    registerProcess(path.resolve(this.ini.file));
    logAction('start', { ini: this.ini.file, confirm: this.ini.confirm });
    this.out(`[monitor]         ${nowStamp()}: 启动${this.ini.confirm ? '确认' : ''}监视器 (dmsim)`);
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => this.exit(0, sig));
    process.on('SIGHUP', () => undefined);
    void this.connectLoop();
    // let the first connection attempts settle, bounded
    const until = Date.now() + 3000;
    while (Date.now() < until && this.eps.some((e) => !e.tried)) await sleep(25);
    const refusal = this.eps.find((e) => e.refused)?.refused;
    if (refusal) return this.refuse(refusal);

    const rl = readline.createInterface({ input: process.stdin, terminal: false });
    const lines: string[] = [];
    let waiter: (() => void) | undefined;
    let eof = false;
    rl.on('line', (l) => {
      lines.push(l);
      waiter?.();
    });
    rl.on('close', () => {
      eof = true;
      waiter?.();
    });
    const next = async (): Promise<string | undefined> => {
      while (!lines.length && !eof) await new Promise<void>((r) => (waiter = r));
      waiter = undefined;
      return lines.shift();
    };
    for (;;) {
      const line = await next();
      if (line === undefined) break;
      const cmd = line.trim();
      if (!cmd) continue;
      const refused = this.eps.find((e) => e.refused)?.refused;
      if (refused) return this.refuse(refused);
      if (/^exit$/i.test(cmd)) return this.exit(this.failed ? 1 : 0, 'exit');
      try {
        await this.command(cmd, next);
      } catch (e) {
        this.failed = true;
        this.out(e instanceof DmError ? `[!!!] ${e.message}` : `[!!!] ${(e as Error).message}`);
      }
    }
    if (this.ini.confirm) {
      // a confirm monitor keeps watching (§4.1); it ends on SIGTERM, or exits when refused
      for (;;) {
        await sleep(200);
        const r = this.eps.find((e) => e.refused)?.refused;
        if (r) return this.refuse(r);
      }
    }
    return this.exit(this.failed ? 1 : 0, 'end of input');
  }

  refuse(e: DmError): number {
    this.out(`[!!!] ${e.message}`);
    logAction('refused', { reason: e.message });
    return this.exit(2, 'refused');
  }

  exit(code: number, why: string): number {
    if (!this.closing) {
      this.closing = true;
      logAction('exit', { why, code });
      for (const e of this.eps) e.client?.close();
      setTimeout(() => process.exit(code), 20);
    }
    return code;
  }

  async connectLoop(): Promise<void> {
    while (!this.closing) {
      await Promise.all(this.eps.map((e) => this.poll(e)));
      await sleep(env.tickMs());
    }
  }

  async poll(e: Endpoint): Promise<void> {
    try {
      if (!e.client || e.client.closed) {
        e.client = undefined;
        const c = await JsonClient.connect(e.host, e.port, 700);
        const r = await c.request(
          {
            op: 'mon-register',
            uid: this.uid,
            confirm: this.ini.confirm,
            mid: this.ini.mid ?? null,
            group: e.group,
            oguid: e.oguid,
            dialHost: e.host,
            dialPort: e.port,
          },
          1500,
        );
        if (r.ok === false) {
          c.close();
          e.refused = new DmError(Number(r.code ?? -1), String(r.error ?? 'refused'));
          e.tried = true;
          return;
        }
        e.client = c;
      }
      const r = raise(await e.client.request({ op: 'mon-info' }, 1500));
      const entries = (r.entries as WatcherEntry[]) ?? [];
      e.entry =
        entries.find((x) => x.group.toUpperCase() === e.group.toUpperCase() && x.dwPort === e.port) ??
        entries.find((x) => x.group.toUpperCase() === e.group.toUpperCase());
      e.lastSeen = Date.now();
    } catch {
      e.client?.close();
      e.client = undefined;
    } finally {
      e.tried = true;
    }
  }

  alive(e: Endpoint): boolean {
    return !!e.entry && Date.now() - e.lastSeen < 3000;
  }

  async refresh(): Promise<void> {
    await Promise.all(this.eps.map((e) => this.poll(e)));
  }

  groupNames(arg?: string): string[] {
    const all = this.ini.groups.map((g) => g.group);
    if (!arg) return all;
    const g = all.find((x) => x.toUpperCase() === arg.toUpperCase());
    if (!g) throw new DmError(-1, `组(${arg})不存在`);
    return [g];
  }

  /** [group.]db → endpoints of that database. */
  dbEndpoints(arg: string): Endpoint[] {
    const [g, db] = arg.includes('.') ? arg.split('.') : [undefined, arg];
    const eps = this.eps.filter(
      (e) =>
        (!g || e.group.toUpperCase() === g.toUpperCase()) &&
        e.entry?.instance.toUpperCase() === (db ?? '').toUpperCase(),
    );
    if (!eps.length) throw new DmError(-1, `库(${arg})不存在或其守护进程不可达`);
    const first = eps[0];
    return this.eps.filter((e) => first && e.group === first.group && e.dbIndex === first.dbIndex);
  }

  needLogin(): void {
    if (!this.loggedIn) throw new DmError(-1, '请先执行login登录监视器', '§4.4');
  }

  async command(cmd: string, next: () => Promise<string | undefined>): Promise<void> {
    const lc = cmd.toLowerCase().replace(/\s+/g, ' ');
    logAction('command', { cmd: lc });
    let m: RegExpExecArray | null;
    if (lc === 'help') return this.out(HELP);
    if (lc === 'show version') return this.out('DMMONITOR[4.0] V8 (dmsim)');
    if (lc === 'login') {
      const user = (await next()) ?? '';
      const password = (await next()) ?? '';
      return this.login(user.trim(), password);
    }
    if (lc === 'logout') {
      this.loggedIn = false;
      return this.out('[monitor]         退出登录成功!');
    }
    await this.refresh();
    if (lc === 'show global info') return this.out(this.showGlobal(this.groupNames()));
    if ((m = /^show database (\S+)$/.exec(lc))) return this.out(this.showDb(this.dbEndpoints(m[1] ?? '')));
    if (lc === 'show monitor' || lc.startsWith('show monitor ')) return this.out(this.showMonitors());
    if ((m = /^show(?: (\S+))?$/.exec(lc)) && m[1] !== 'interval' && m[1] !== 'i')
      return this.out(
        this.groupNames(m[1])
          .map((g) => this.showGroup(g))
          .join('\n'),
      );
    if (lc === 'list' || lc.startsWith('list ')) return this.out(this.list());
    if (lc === 'tip') return this.out(this.tip());
    if ((m = /^check open (\S+)$/.exec(lc))) {
      const eps = this.dbEndpoints(m[1] ?? '');
      for (const e of eps)
        this.out(
          e.entry?.inst?.status === 'OPEN'
            ? `[monitor]         库(${e.entry.instance})已经是OPEN状态`
            : `[monitor]         ${e.entry?.instance}: ${e.entry?.reason ?? '满足自动Open条件'}`,
        );
      return;
    }
    if ((m = /^stop group(?: (\S+))?$/.exec(lc))) {
      this.needLogin();
      for (const g of this.groupNames(m[1])) await this.stopGroup(g);
      return;
    }
    if ((m = /^(startup|stop) dmwatcher(?: (\S+))?$/.exec(lc))) {
      if (m[1] === 'stop') this.needLogin();
      for (const g of this.groupNames(m[2])) {
        for (const e of this.eps.filter((x) => x.group === g && this.alive(x)))
          raise(
            await (e.client as JsonClient).request(
              { op: 'mon-cmd', group: g, cmd: m[1] === 'stop' ? 'stop-watcher' : 'startup-watcher' },
              5000,
            ),
          );
        this.out(`[monitor]         ${m[1] === 'stop' ? '关闭' : '打开'}组(${g})的守护进程监控功能成功`);
      }
      return;
    }
    if ((m = /^set group(?: (\S+))? auto restart (on|off)$/.exec(lc))) {
      // §4.4 item 31: `off` checks the login; item 30: `on` does not (the nodes may all be down)
      if (m[2] === 'off') this.needLogin();
      for (const g of this.groupNames(m[1])) await this.setAutoRestart(g, m[2] === 'on');
      return;
    }
    // §4.4 item 34: every watcher of the group takes the value in memory and in dmwatcher.ini; one
    // that is down is skipped, as the manual says (it must get the value in its file before it starts)
    if (
      (m = /^set group(?: (\S+))? (\S+) (\S+)$/.exec(lc)) &&
      m[2] !== 'auto' &&
      m[2] !== 'recover' &&
      m[2] !== 'arch'
    ) {
      this.needLogin();
      const para = (m[2] ?? '').toUpperCase();
      for (const g of this.groupNames(m[1])) {
        const eps = this.eps.filter((e) => e.group === g && this.alive(e));
        if (!eps.length) throw new DmError(-1, `组(${g})没有活动的守护进程`);
        for (const e of eps)
          raise(
            await (e.client as JsonClient).request(
              { op: 'mon-cmd', group: g, cmd: 'set-para', para, value: m[3] },
              5000,
            ),
          );
        this.out(`[monitor]         修改组(${g})守护进程参数${para}成功`);
      }
      return;
    }
    // §4.4 items 43-44: the primary's archive to the standby INVALID (detach) or back (attach)
    if ((m = /^(detach|attach) database (\S+)$/.exec(lc))) {
      this.needLogin();
      const op = m[1] as 'detach' | 'attach';
      const target = this.dbEndpoints(m[2] ?? '');
      const first = target[0];
      const name = first?.entry?.instance ?? '';
      if (first?.entry?.dwType !== 'GLOBAL' || first.entry.inst?.mode !== 'STANDBY')
        throw new DmError(
          -1,
          `库(${name})不是全局守护类型的备库, 不能${op === 'detach' ? '分离' : '加回'}`,
          '§4.4 item 43',
        );
      const primaries = this.eps.filter(
        (e) => e.group === first.group && this.alive(e) && e.entry?.inst?.mode === 'PRIMARY',
      );
      if (!primaries.length) throw new DmError(-1, `组(${first.group})没有活动的主库`, '§4.4 item 43');
      await opDelay('monitor');
      for (const e of primaries)
        raise(
          await (e.client as JsonClient).request(
            { op: 'mon-cmd', group: e.group, cmd: op, db: name },
            10_000,
          ),
        );
      return this.out(`[monitor]         ${op === 'detach' ? '分离' : '加回'}库(${name})成功`);
    }
    // §4.4 item 49: a GLOBAL standby only once detached; a primary in AUTO mode only once every
    // standby is, so that nothing takes over
    if ((m = /^stop database (\S+)$/.exec(lc))) {
      this.needLogin();
      const target = this.dbEndpoints(m[1] ?? '');
      const first = target[0];
      const name = first?.entry?.instance ?? '';
      const group = this.eps.filter((e) => e.group === first?.group);
      // the primary's archives as they are now, not as the last watcher round saw them
      const archivesOf: { type: string; dest: string; status: string }[] = [];
      for (const e of group.filter((x) => this.alive(x) && x.entry?.inst?.mode === 'PRIMARY')) {
        const r = raise(
          await (e.client as JsonClient).request({ op: 'mon-cmd', group: e.group, cmd: 'peek' }, 5000),
        );
        archivesOf.push(...((r.info as { archives?: typeof archivesOf } | undefined)?.archives ?? []));
      }
      const valid = (db: string) =>
        archivesOf.some(
          (a) =>
            a.type !== 'LOCAL' &&
            a.dest.toUpperCase().split('/').includes(db.toUpperCase()) &&
            a.status === 'VALID',
        );
      const mode = first?.entry?.inst?.mode;
      if (first?.entry?.dwType === 'GLOBAL' && mode === 'STANDBY' && valid(name))
        throw new DmError(-1, `备库(${name})的归档状态有效, 请先执行detach database分离备库`, '§4.4 item 49');
      if (mode === 'PRIMARY' && first?.entry?.dwMode === 'AUTO') {
        const attached = group.filter(
          (e) => e.entry?.inst?.mode === 'STANDBY' && e.entry.dwType === 'GLOBAL' && valid(e.entry.instance),
        );
        if (attached.length)
          throw new DmError(
            -1,
            `自动切换模式下, 备库(${attached.map((e) => e.entry?.instance).join(', ')})未分离, 不能关闭主库`,
            '§4.4 item 49',
          );
      }
      for (const e of target) {
        if (!this.alive(e)) throw new DmError(-1, `守护进程 ${e.host}:${e.port} 不可达`);
        raise(
          await (e.client as JsonClient).request(
            { op: 'mon-cmd', group: e.group, cmd: 'stop-database' },
            10_000,
          ),
        );
      }
      return this.out(`[monitor]         关闭库(${name})成功`);
    }
    // §4.4 item 25, §6.5
    if ((m = /^switchover(?: (\S+))?$/i.exec(cmd.trim().replace(/\s+/g, ' ')))) return this.switchover(m[1]);
    if ((m = /^open database (\S+)$/.exec(lc))) {
      this.needLogin();
      for (const e of this.dbEndpoints(m[1] ?? '')) {
        if (!this.alive(e)) throw new DmError(-1, `守护进程 ${e.host}:${e.port} 不可达`);
        raise(
          await (e.client as JsonClient).request(
            { op: 'mon-cmd', group: e.group, cmd: 'open-force' },
            30_000,
          ),
        );
      }
      return this.out(`[monitor]         强制Open库(${m[1]})成功`);
    }
    throw new DmError(-1, `命令[${cmd}]不支持 (dmsim models: ${MODELLED})`);
  }

  /**
   * §4.4 item 25 `switchover [group_name[.]] [db_name]`, §6.5: a standby of the group becomes its
   * primary, the primary a standby, both OPEN throughout the checks (conditions 1-8), then steps
   * 1-12; in an MPP system every group's primary takes a dmmpp.ctl naming the new one (step 9).
   * dmsim switches single-instance databases only.
   */
  async switchover(arg?: string): Promise<void> {
    this.needLogin();
    const [gArg, dbArg] = arg?.includes('.')
      ? arg.split('.')
      : arg && this.ini.groups.some((g) => g.group.toUpperCase() === arg.toUpperCase())
        ? [arg, undefined]
        : [undefined, arg];
    const groups = this.groupNames(gArg || undefined);
    const group = groups[0];
    if (groups.length !== 1 || !group)
      throw new DmError(-1, '存在多个守护进程组, 请指定组名', '§4.4 item 25');
    const members = this.eps.filter((e) => e.group === group);
    if (new Set(members.map((e) => e.dbIndex)).size !== members.length)
      throw new DmError(-1, `组(${group})中有DMDSC集群: dmsim does not model its switchover`, '§6.5');
    const name = (e: Endpoint) => e.entry?.instance ?? `${e.host}:${e.port}`;
    const primaries = members.filter((e) => this.alive(e) && e.entry?.inst?.mode === 'PRIMARY');
    const primary = primaries[0];
    if (primaries.length !== 1 || !primary)
      throw new DmError(-1, `组(${group})没有唯一的活动主库`, '§6.5 condition 4');
    const standbys = members.filter((e) => e !== primary && e.entry?.inst?.mode === 'STANDBY');
    const target = dbArg
      ? members.find((e) => e.entry?.instance.toUpperCase() === dbArg.toUpperCase())
      : standbys.length === 1
        ? standbys[0]
        : undefined;
    if (!target)
      throw new DmError(
        -1,
        dbArg ? `库(${dbArg})不存在或其守护进程不可达` : `组(${group})中有多个备库, 请指定库名`,
        '§4.4 item 25',
      );
    if (target === primary || target.entry?.inst?.mode !== 'STANDBY')
      throw new DmError(-1, `库(${name(target)})不是备库, 不能切换为主库`, '§4.4 item 25');
    // §3.2: a LOCAL watcher (an async standby's) takes no part in switchover or takeover
    if (target.entry.dwType !== 'GLOBAL')
      throw new DmError(-1, `库(${name(target)})不是全局守护类型的备库, 不能切换为主库`, '§3.2, §6.5');
    // §6.5 conditions 1-7: both watchers OPEN, both databases running and OPEN
    for (const [e, what] of [
      [primary, '主库'],
      [target, '备库'],
    ] as const) {
      if (!this.alive(e)) throw new DmError(-1, `${what}(${name(e)})的守护进程不可达`, '§6.5');
      if (e.entry?.state !== 'OPEN')
        throw new DmError(
          -1,
          `${what}(${name(e)})的守护进程不是OPEN状态(${String(e.entry?.state)})`,
          '§6.5 conditions 1-2',
        );
      if (e.entry.inst?.status !== 'OPEN')
        throw new DmError(
          -1,
          `${what}(${name(e)})不是OPEN状态(${String(e.entry.inst?.status)})`,
          '§6.5 conditions 6-7',
        );
    }
    // condition 8: the primary's archive to the standby VALID, read now (after a switchover it
    // stays INVALID until the new primary's watcher has recovered the standby)
    const cmd = (e: Endpoint, c: string, x?: Record<string, unknown>, ms = 30_000) =>
      (e.client as JsonClient).request(
        { op: 'mon-cmd', group: e.group, cmd: c, ...(x ? { arg: x } : {}) },
        ms,
      );
    const peek = raise(await cmd(primary, 'peek', undefined, 5000));
    const archives =
      (peek.info as { archives?: { type: string; dest: string; status: string }[] } | undefined)?.archives ??
      [];
    const to = name(target).toUpperCase();
    if (
      !archives.some(
        (a) => a.type !== 'LOCAL' && a.dest.toUpperCase().split('/').includes(to) && a.status === 'VALID',
      )
    )
      throw new DmError(
        -1,
        `主库(${name(primary)})到备库(${name(target)})的归档不是VALID状态`,
        '§6.5 condition 8',
      );
    const from = name(primary);
    // step 9's dmmpp.ctl: the MPP configuration as the primaries hold it, the group's new primary
    // in place of the old one (read before anything changes)
    const mpp = target.entry.inst.mppDigest
      ? (raise(await cmd(primary, 'mppctl-read', undefined, 5000)).entries as MppEntry[] | undefined)
      : undefined;
    logAction('switchover', { group, from, to: name(target) });
    await opDelay('monitor');
    raise(await cmd(primary, 'switchover-begin'));
    raise(await cmd(target, 'switchover-begin'));
    try {
      raise(await cmd(primary, 'switchover-step', { step: 'mount' }));
      raise(await cmd(target, 'switchover-step', { step: 'mount' }));
      raise(await cmd(primary, 'switchover-step', { step: 'mode', mode: 'STANDBY' }));
      raise(await cmd(target, 'switchover-step', { step: 'mode', mode: 'PRIMARY' }));
      // step 9: the new primary's dmmpp.ctl first, then every other group's active primary
      if (mpp) {
        const entries = mpp.map((e) =>
          e.instName.toUpperCase() === from.toUpperCase() ? { ...e, instName: name(target) } : e,
        );
        const others = this.eps.filter(
          (e) => e.group !== group && this.alive(e) && e.entry?.inst?.mode === 'PRIMARY',
        );
        for (const e of [target, ...others]) raise(await cmd(e, 'mppctl-update', { entries }));
      }
      raise(await cmd(primary, 'switchover-step', { step: 'open' }));
      raise(await cmd(target, 'switchover-step', { step: 'open' }));
    } finally {
      await cmd(primary, 'switchover-end').catch(() => undefined);
      await cmd(target, 'switchover-end').catch(() => undefined);
    }
    await this.refresh();
    this.out(`[monitor]         切换成功: 组(${group})的主库为${name(target)}, ${from}为备库`);
  }

  async login(user: string, password: string): Promise<void> {
    // §4.4 item 13: checked on the primary if there is one, else on an active standby; a monitor
    // whose first connection round has not answered yet tries once more
    const active = () => this.eps.filter((e) => this.alive(e) && e.entry?.inst);
    if (!active().length) await this.refresh();
    const alive = active();
    const pick = alive.find((e) => e.entry?.inst?.mode === 'PRIMARY') ?? alive[0];
    if (!pick?.entry) throw new DmError(-1, '没有活动的库可以校验登录口令');
    try {
      raise(
        await (pick.client as JsonClient).request(
          { op: 'mon-login', group: pick.group, user, password },
          5000,
        ),
      );
    } catch (e) {
      logAction('login', { ok: false, user });
      throw new DmError(E.LOGIN, `登录监视器失败: ${(e as Error).message}`);
    }
    this.loggedIn = true;
    logAction('login', { ok: true, user });
    this.out('[monitor]         登录监视器成功!');
  }

  /**
   * §4.4 items 30, 31: through every watcher of the group to the dmcss of each DMDSC node, which
   * changes its in-memory restart flag. Fails if a watcher cannot be reached, if a dmcss has no
   * restart parameters, or if the group has no DMDSC database.
   */
  async setAutoRestart(g: string, on: boolean): Promise<void> {
    await opDelay('monitor');
    const eps = this.eps.filter((e) => e.group === g);
    const down = eps.find((e) => !this.alive(e));
    if (down)
      throw new DmError(-1, `守护进程 ${down.host}:${down.port} 不可达, 无法设置组(${g})的自动拉起标记`);
    const nodes: string[] = [];
    for (const e of eps) {
      const r = raise(
        await (e.client as JsonClient).request(
          { op: 'mon-cmd', group: g, cmd: on ? 'auto-restart-on' : 'auto-restart-off' },
          5000,
        ),
      );
      if (r.dsc === true) nodes.push(String(r.instance));
    }
    if (!nodes.length)
      throw new DmError(-1, `组(${g})中没有 DMDSC 集群, 没有可设置自动拉起标记的 dmcss`, '§4.4');
    this.out(
      `[monitor]         ${on ? '打开' : '关闭'}组(${g})中 DMDSC 集群节点(${nodes.join(', ')})的自动拉起标记成功`,
    );
  }

  /** §4.4 item 22: watchers to Shutdown, then the open primary, then the others in ini order. */
  async stopGroup(g: string): Promise<void> {
    await opDelay('monitor');
    const eps = this.eps.filter((e) => e.group === g);
    for (const e of eps)
      if (this.alive(e))
        raise(await (e.client as JsonClient).request({ op: 'mon-cmd', group: g, cmd: 'stop-watcher' }, 5000));
    this.out(`[monitor]         通知组(${g})的守护进程切换为SHUTDOWN状态成功`);
    const primaries = eps.filter((e) => e.entry?.inst?.mode === 'PRIMARY' && e.entry.inst.status === 'OPEN');
    const order = [...primaries, ...eps.filter((e) => !primaries.includes(e))];
    for (const e of order) {
      if (!this.alive(e) || !e.entry?.inst) continue;
      const name = e.entry.instance;
      raise(
        await (e.client as JsonClient).request({ op: 'mon-cmd', group: g, cmd: 'shutdown-instance' }, 10_000),
      );
      const until = Date.now() + 15_000;
      for (;;) {
        await sleep(100);
        await this.poll(e);
        if (!e.entry?.inst) break;
        if (Date.now() > until) throw new DmError(-1, `实例(${name})没有在15秒内退出`);
      }
      this.out(`[monitor]         ${nowStamp()}: 通知实例(${name})正常退出成功`);
    }
    this.out(`[monitor]         退出组(${g})成功`);
  }

  showGlobal(groups: string[]): string {
    return groups.map((g) => this.groupHeader(g) + '\n' + this.dbRows(g, false)).join('\n');
  }

  groupHeader(g: string): string {
    const eps = this.eps.filter((e) => e.group === g);
    const mode = eps.find((e) => e.entry)?.entry?.dwMode ?? 'UNKNOWN';
    const oguid = this.ini.groups.find((x) => x.group === g)?.oguid ?? 0;
    return [
      `${nowStamp()}`,
      '#================================================================================#',
      row(['GROUP', 'OGUID', 'MON_CONFIRM', 'MODE', 'MPP_FLAG'], [16, 12, 12, 8, 8]),
      row(
        [
          g,
          String(oguid),
          this.ini.confirm ? 'TRUE' : 'FALSE',
          mode,
          this.ini.groups.length > 1 ? 'TRUE' : 'FALSE',
        ],
        [16, 12, 12, 8, 8],
      ),
    ].join('\n');
  }

  dbRows(g: string, detail: boolean): string {
    const widths = [18, 12, 20, 8, 10, 12, 16, 8, 5, 5, 10, 10, 10, 8];
    const lines = [
      '',
      '<<DATABASE GLOBAL INFO:>>',
      row(
        [
          'DW_IP',
          'MAL_DW_PORT',
          'WTIME',
          'WTYPE',
          'WCTLSTAT',
          'WSTATUS',
          'INAME',
          'INST_OK',
          'N_EP',
          'N_OK',
          'ISTATUS',
          'IMODE',
          'RTYPE',
          'RSTAT',
        ],
        widths,
      ),
    ];
    const byDb = new Map<number, Endpoint[]>();
    for (const e of this.eps.filter((x) => x.group === g))
      byDb.set(e.dbIndex, [...(byDb.get(e.dbIndex) ?? []), e]);
    const primary = this.eps.find((e) => e.group === g && this.alive(e) && e.entry?.inst?.mode === 'PRIMARY')
      ?.entry?.inst;
    for (const eps of byDb.values()) {
      const ctl = eps.find((e) => this.alive(e)) ?? eps[0];
      if (!ctl) continue;
      const en = this.alive(ctl) ? ctl.entry : undefined;
      const inst = en?.inst;
      const okNodes = eps.filter((e) => this.alive(e) && e.entry?.inst).length;
      const rtype =
        en?.dwType === 'GLOBAL'
          ? (primary?.archives.find((a) => a.type === 'REALTIME' || a.type === 'TIMELY')?.type ?? 'REALTIME')
          : 'NONE';
      lines.push(
        row(
          [
            ctl.host,
            String(ctl.port),
            en?.wtime ?? 'NULL',
            en?.dwType ?? 'UNKNOWN',
            en ? (en.dwType === 'GLOBAL' ? 'VALID' : 'NULL') : 'UNKNOWN',
            en ? en.state : 'ERROR',
            en?.instance ?? 'UNKNOWN',
            inst ? 'OK' : 'ERROR',
            String(eps.length),
            String(okNodes),
            inst?.status ?? 'UNKNOWN',
            inst?.mode ?? 'UNKNOWN',
            rtype,
            this.rstat(en, inst, primary),
          ],
          widths,
        ),
      );
      if (detail) lines.push(this.epRows(eps), '');
    }
    return lines.join('\n');
  }

  rstat(en: WatcherEntry | undefined, inst: WatcherEntry['inst'], primary: WatcherEntry['inst']): string {
    if (!en || en.dwType !== 'GLOBAL') return 'NULL';
    if (inst?.mode === 'PRIMARY') return 'VALID';
    if (!primary) return 'UNKNOWN';
    const a = primary.archives.find(
      (x) =>
        x.type !== 'LOCAL' && x.dest.split('/').some((d) => d.toUpperCase() === en.instance.toUpperCase()),
    );
    return a?.status ?? 'UNKNOWN';
  }

  epRows(eps: Endpoint[]): string {
    const widths = [18, 10, 8, 16, 10, 10, 10, 10];
    const lines = [
      '',
      'EP INFO:',
      row(['INST_IP', 'INST_PORT', 'INST_OK', 'INAME', 'ISTATUS', 'IMODE', 'FLSN', 'CLSN'], widths),
    ];
    for (const e of eps) {
      const en = this.alive(e) ? e.entry : undefined;
      const i = en?.inst;
      lines.push(
        row(
          [
            en?.instHost ?? 'UNKNOWN',
            String(en?.instPort ?? 0),
            i ? 'OK' : 'ERROR',
            en?.instance ?? 'UNKNOWN',
            i?.status ?? 'UNKNOWN',
            i?.mode ?? 'UNKNOWN',
            String(i?.lsn ?? 0),
            String(i?.lsn ?? 0),
          ],
          widths,
        ),
      );
    }
    return lines.join('\n');
  }

  showGroup(g: string): string {
    return this.groupHeader(g) + '\n' + this.dbRows(g, true) + '\n';
  }

  showDb(eps: Endpoint[]): string {
    const g = eps[0]?.group ?? '';
    return this.groupHeader(g) + '\n' + this.epRows(eps);
  }

  showMonitors(): string {
    return [
      row(['DW_CONN_TIME', 'MON_CONFIRM', 'MID', 'MON_IP', 'MON_VERSION'], [20, 12, 12, 16, 16]),
      row(
        [
          nowStamp(),
          this.ini.confirm ? 'TRUE' : 'FALSE',
          String(this.ini.mid ?? 0),
          'LOCAL',
          'DMMONITOR[4.0]',
        ],
        [20, 12, 12, 16, 16],
      ),
    ].join('\n');
  }

  list(): string {
    return this.eps
      .map((e) => {
        const en = e.entry;
        if (!en) return `[${e.group}] ${e.host}:${e.port} UNREACHABLE`;
        return `[${en.group}] INST_NAME=${en.instance} DW_TYPE=${en.dwType} DW_MODE=${en.dwMode} INST_OGUID=${en.oguid} INST_AUTO_RESTART=${en.autoRestart ? 1 : 0} MAL_HOST=${en.malHost} MAL_DW_PORT=${en.dwPort}`;
      })
      .join('\n');
  }

  tip(): string {
    const problems: string[] = [];
    for (const e of this.eps) {
      if (!this.alive(e)) problems.push(`守护进程 ${e.host}:${e.port} 不可达 (ERROR)`);
      else if (e.entry?.state !== 'OPEN')
        problems.push(
          `守护进程(${e.entry?.instance})处于${e.entry?.state}状态${e.entry?.reason ? `: ${e.entry.reason}` : ''}`,
        );
      else if (e.entry.inst?.status !== 'OPEN') problems.push(`实例(${e.entry.instance})不是OPEN状态`);
    }
    for (const g of this.ini.groups) {
      const ps = new Set(
        this.eps
          .filter((e) => e.group === g.group && e.entry?.inst?.mode === 'PRIMARY')
          .map((e) => e.entry?.inst?.dbId),
      );
      if (ps.size > 1) problems.push(`组(${g.group})中存在多个主库`);
    }
    return problems.length
      ? problems.map((p) => `[monitor]         ${p}`).join('\n')
      : '[monitor]         守护系统运行正常';
  }
}

function row(cells: string[], widths: number[]): string {
  return cells
    .map((c, i) => c.padEnd(widths[i] ?? 10))
    .join(' ')
    .trimEnd();
}

const MODELLED =
  'help, exit, show [group], switchover [group[.]db], show global info, show database [g.]db, show version, show monitor, list, tip, check open [g.]db, login, logout, stop group [g], startup dmwatcher [g], stop dmwatcher [g], open database [g.]db, set group [g] auto restart on|off, set group [g] para_name para_value, detach database [g.]db, attach database [g.]db, stop database [g.]db';

const HELP = `dmsim dmmonitor commands (§4.4 subset):\n  ${MODELLED.split(', ').join('\n  ')}`;
