/**
 * dmsim on real lab hosts (network namespaces with OpenSSH), driven only through the lib/ssh
 * executor, as the deployer will drive DM8: the manual's build of a realtime pair (7.1.1 + 7.2)
 * with a confirm monitor on a third host, each simulator refusal that can be reached this way,
 * and no password in any host's dmsim log, in `ps` on the hosts, or in the executor's log.
 */
import path from 'node:path/posix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shQuote, type SshExecutor } from '../../lib/ssh';
import type { RenderedFile } from '../../lib/render';
import type { ClusterSpec } from '../../lib/spec/schema';
import type { Lab } from '../lab/lab';
import { labAvailabilityForTests, useLab } from '../lab/vitest';
import { captureLog, labExecutor } from '../ssh/helpers';
import {
  DM,
  DmOverSsh,
  killOurProcesses,
  PASSWORD,
  PS_ROUNDS,
  PS_SEEN,
  db,
  installOnHosts,
  invocation,
  ok,
  renderSpec,
  startPsSampler,
  until,
  type Db,
} from './lab-harness';
import type { LogRecord } from './src/common';

const avail = labAvailabilityForTests();

/** The pair of 7.2 (DW_P, DW_S, monitor on DW_M); a second group whose standby was dminit'ed on its own (BAD_P, BAD_S); REF for single-database refusals. */
const HOSTS = ['DW_P', 'DW_S', 'DW_M', 'BAD_P', 'BAD_S', 'REF'] as const;

const events = (recs: readonly LogRecord[]) => recs.map((r) => r.event);
const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function pairSpec(
  lab: Lab,
  o: { group: string; oguid: number; p: Db; s: Db; monitorHost?: string },
): ClusterSpec {
  const host = (n: string) => {
    const h = lab.host(n);
    return { address: h.public, public: h.public, private: h.private };
  };
  const dbSpec = (d: Db) => ({ name: d.name, host: d.host, path: d.path, port: d.port });
  return {
    kind: 'RealtimePair',
    group: o.group,
    oguid: o.oguid,
    dmHome: '/dm',
    hosts: {
      [o.p.host]: host(o.p.host),
      [o.s.host]: host(o.s.host),
      ...(o.monitorHost ? { [o.monitorHost]: host(o.monitorHost) } : {}),
    },
    primary: dbSpec(o.p),
    standbys: [dbSpec(o.s)],
    watcher: o.monitorHost ? { mode: 'AUTO', dwErrorTime: 10, instErrorTime: 10 } : { mode: 'MANUAL' },
    ...(o.monitorHost ? { monitor: { host: o.monitorHost, confirm: true, path: DM.mon } } : {}),
  };
}

// skipped only where no lab can run (not root, no namespaces or tools), with the printed reason; CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!avail.ok)('dmsim on lab hosts, over SSH', () => {
  const lab = useLab({ name: 'dmsimlab', hosts: [...HOSTS] });
  const exLog = captureLog();
  let ex: SshExecutor;
  let dm: DmOverSsh;
  const samplers: string[] = [];

  beforeAll(async () => {
    installOnHosts(lab(), HOSTS);
    ex = labExecutor(lab(), { logger: exLog, defaultTimeoutMs: 20_000 });
    dm = new DmOverSsh(ex, (h) => lab().host(h).public);
    for (const h of HOSTS) {
      await startPsSampler(dm, h);
      samplers.push(h);
    }
  }, 30_000);

  afterAll(async () => {
    // Every process started on a host (servers, watchers, monitors, restarts by a watcher, the
    // ps samplers): SIGKILL through the lab's fault control, until none is left (bounded).
    await killOurProcesses(lab(), HOSTS);
    await ex?.close();
  }, 20_000);

  // ------------------------------------------------------------------ the pair of 7.2

  describe('a realtime pair built as 7.1.1 and 7.2 prescribe', () => {
    const P = db('GRP1_RT_01', 'DW_P');
    const S = db('GRP1_RT_02', 'DW_S');
    const monIni = path.join(DM.mon, 'dmmonitor.ini');
    const monOut = path.join(DM.out, 'dmmonitor_confirm.out');
    const monCmd = path.join(DM.mon, 'confirm.cmd');
    let files: RenderedFile[];
    let confirmPid = 0;
    let built = false;

    /** The refusal tests below run beside the pair the first test builds. */
    function pairBuilt(): void {
      if (!built) throw new Error('the pair is not up: see the first test of this block');
    }

    /** `show` typed into the confirm monitor (its stdin is fed from monCmd); its output. */
    async function confirmShow(): Promise<string> {
      const size = Number(ok(await ex.exec('DW_M', `wc -c < ${monOut}`), 'size').stdout.trim());
      ok(await ex.exec('DW_M', `echo show >> ${monCmd}`), 'show');
      return until(
        async () => {
          const t = (await ex.exec('DW_M', `tail -c +${size + 1} ${monOut}`)).stdout;
          return /EP INFO:[\s\S]*EP INFO:[\s\S]*\n\n/.test(t) ? t : undefined;
        },
        'show output',
        20_000,
      );
    }

    it('dminit, first start, offline backup, copy, RESTORE + UPDATE DB_MAGIC, files, MOUNT, OGUID and mode, watchers: the confirm monitor shows both OPEN', async () => {
      const l = lab();
      files = renderSpec(pairSpec(l, { group: 'GRP1', oguid: 4533, p: P, s: S, monitorHost: 'DW_M' }));

      // 7.2.2: dminit on both hosts, SYSDBA's password on stdin
      expect(ok(await dm.dminit(P), 'dminit P').stdout).toContain('create dm database success');
      ok(await dm.dminit(S), 'dminit S');

      // 7.1 注意: a new database is started normally once and shut down normally
      const first = await dm.startServer(P);
      expect(ok(first.result, 'first start P').stdout).toMatch(
        /mode: NORMAL, status: OPEN[\s\S]*SYSTEM IS READY/,
      );
      await dm.shutdown(P, first.pid);

      // the primary's files: dm.ini merged key by key, dmmal.ini, dmarch.ini (local archive), dmwatcher.ini
      const pushedP = await dm.push(files, (f) => f.instance === P.name);
      expect(pushedP.map((p) => path.basename(p)).sort()).toEqual([
        'dm.ini',
        'dmarch.ini',
        'dmmal.ini',
        'dmwatcher.ini',
      ]);
      const iniP = (await ex.readFile('DW_P', P.ini)).toString('utf8');
      expect(iniP.match(/^\s*INSTANCE_NAME\s*=\s*GRP1_RT_01\s*(#.*)?$/gm)).toHaveLength(1);
      expect(iniP).not.toMatch(/INSTANCE_NAME\s*=\s*DMSERVER/);
      expect(iniP).toMatch(new RegExp(`CTL_PATH\\s*=\\s*${re(path.dirname(P.ini))}/dm\\.ctl`)); // dminit's keys kept
      expect(iniP).toMatch(/^\s*ALTER_MODE_STATUS\s*=\s*0\s*(#.*)?$/m);

      // 7.1.1: offline backup with dmrman on the primary
      const set = path.join(DM.bak, 'full01');
      const bak = ok(
        await dm.rman('DW_P', `BACKUP DATABASE '${P.ini}' FULL TO BACKUP_FILE1 BACKUPSET '${set}'`),
        'backup',
      );
      expect(bak.stdout).toContain('backup successfully');

      // the backup set, host to host, through the executor
      const pieces = ok(await ex.exec('DW_P', `ls -1 ${set}`), 'ls')
        .stdout.trim()
        .split('\n');
      expect(pieces.sort()).toEqual(['BACKUP_FILE1.bak', 'BACKUP_FILE1.meta']);
      ok(await ex.exec('DW_S', `mkdir -p ${set}`), 'mkdir');
      for (const f of pieces) {
        const c = await ex.copyFile(
          { host: 'DW_P', path: path.join(set, f) },
          { host: 'DW_S', path: path.join(set, f) },
        );
        expect(c.bytes).toBeGreaterThan(0);
      }
      const sums = async (h: string) => ok(await ex.exec(h, `cd ${set} && sha256sum *`), 'sha256sum').stdout;
      expect(await sums('DW_S')).toBe(await sums('DW_P'));

      // 7.1.1: RESTORE, then RECOVER ... UPDATE DB_MAGIC on the standby
      expect(
        ok(await dm.rman('DW_S', `RESTORE DATABASE '${S.ini}' FROM BACKUPSET '${set}'`), 'restore').stdout,
      ).toContain('restore successfully');
      ok(await dm.rman('DW_S', `RECOVER DATABASE '${S.ini}' UPDATE DB_MAGIC`), 'update db_magic');

      // the standby's files and the monitor's, then both instances in MOUNT (7.2.3.5)
      await dm.push(files, (f) => f.instance === S.name);
      await dm.push(files, (f) => f.role === 'dmmonitor.ini');
      const mountP = await dm.startServer(P, { mount: true });
      expect(ok(mountP.result, 'mount P').stdout).toContain('status: MOUNT');
      const mountS = await dm.startServer(S, { mount: true });
      expect(ok(mountS.result, 'mount S').stdout).toContain('status: MOUNT');
      // the pid the background start reports is the server itself (what shutdown waits for)
      const pidFile = path.join(path.dirname(P.ini), 'dmserver_GRP1_RT_01.pid');
      expect(Number((await ex.readFile('DW_P', pidFile)).toString('utf8').trim())).toBe(mountP.pid);

      // 7.2.4: OGUID and mode, inside the manual's ALTER_MODE_STATUS wrapper, login on stdin
      for (const [d, mode] of [
        [P, 'PRIMARY'],
        [S, 'STANDBY'],
      ] as const)
        ok(await dm.setOguidAndMode(d, 4533, mode), `${d.name} oguid/mode`);
      expect(await dm.instance(P)).toEqual({ status: 'MOUNT', mode: 'PRIMARY', oguid: 4533 });
      expect(await dm.instance(S)).toEqual({ status: 'MOUNT', mode: 'STANDBY', oguid: 4533 });

      // 7.2.6: the watchers, 7.2.7: the confirm monitor (its stdin fed from a command file)
      for (const d of [P, S]) {
        const wIni = files.find((f) => f.role === 'dmwatcher.ini' && f.instance === d.name)?.path ?? '';
        ok(
          (
            await dm.background(
              d.host,
              `${DM.bin}/dmwatcher ${shQuote(wIni)} -noconsole`,
              path.join(DM.out, `dmwatcher_${d.name}.out`),
              { ready: 'IS READY' },
            )
          ).result,
          `dmwatcher ${d.name}`,
        );
      }
      ok(await ex.exec('DW_M', `: > ${monCmd}`), 'command file');
      const mon = await dm.background(
        'DW_M',
        `sh -c ${shQuote(`tail -s 0.2 -n +1 -f ${monCmd} | ${DM.bin}/dmmonitor ${monIni}`)}`,
        monOut,
        { ready: '启动确认监视器' },
      );
      ok(mon.result, 'confirm monitor');
      confirmPid = mon.pid;

      const shown = await until(
        async () => {
          const t = await confirmShow();
          return /GRP1_RT_01\s+OK\s+1\s+1\s+OPEN\s+PRIMARY\s+REALTIME\s+VALID/.test(t) &&
            /GRP1_RT_02\s+OK\s+1\s+1\s+OPEN\s+STANDBY\s+REALTIME\s+VALID/.test(t)
            ? t
            : undefined;
        },
        'show with both instances OPEN',
        20_000,
      );
      expect(shown).toMatch(/GRP1\s+4533\s+TRUE\s+AUTO\s+FALSE/);
      expect(shown).toMatch(
        new RegExp(
          `${re(l.host('DW_P').private)}\\s+5253\\s+\\S+ \\S+\\s+GLOBAL\\s+VALID\\s+OPEN\\s+GRP1_RT_01`,
        ),
      );
      expect(shown).toMatch(
        new RegExp(
          `${re(l.host('DW_S').private)}\\s+5253\\s+\\S+ \\S+\\s+GLOBAL\\s+VALID\\s+OPEN\\s+GRP1_RT_02`,
        ),
      );
      expect(await dm.instance(P)).toEqual({ status: 'OPEN', mode: 'PRIMARY', oguid: 4533 });
      expect(await dm.instance(S)).toEqual({ status: 'OPEN', mode: 'STANDBY', oguid: 4533 });

      // each host's dmsim log tells the same story, in the manual's order
      const logP = await dm.log('DW_P');
      const logS = await dm.log('DW_S');
      const story = (log: LogRecord[]) =>
        log
          .filter((r) =>
            ['dminit', 'ready', 'shutdown', 'backup', 'restore', 'update-db-magic', 'open'].includes(r.event),
          )
          .map((r) => (r.event === 'ready' ? `ready:${String(r.status)}` : r.event));
      expect(story(logP)).toEqual(['dminit', 'ready:OPEN', 'shutdown', 'backup', 'ready:MOUNT', 'open']);
      expect(story(logS)).toEqual(['dminit', 'restore', 'update-db-magic', 'ready:MOUNT', 'open']);
      expect(logP.find((r) => r.event === 'shutdown')).toMatchObject({ normal: true });
      const stmts = (log: LogRecord[]) =>
        log.filter((r) => r.event === 'exec' && r.tool === 'dmserver').map((r) => String(r.stmt));
      expect(stmts(logS)).toEqual(
        expect.arrayContaining([
          `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
          'SP_SET_OGUID(4533)',
          'ALTER DATABASE STANDBY',
        ]),
      );
      // the watcher opened each instance, after the mode was set
      for (const log of [logP, logS]) {
        const iMode = log.findIndex(
          (r) => r.event === 'exec' && /^ALTER DATABASE (PRIMARY|STANDBY)$/.test(String(r.stmt)),
        );
        const iOpen = log.findIndex((r) => r.event === 'open' && r.tool === 'dmserver');
        expect(iMode).toBeGreaterThanOrEqual(0);
        expect(iOpen).toBeGreaterThan(iMode);
      }
      built = true;
    }, 45_000);

    it("refuses a monitor whose MON_DW_IP is not the watcher's MAL_HOST:MAL_DW_PORT (7.2.5.1)", async () => {
      pairBuilt();
      const l = lab();
      const pub = l.host('DW_P').public;
      const priv = l.host('DW_P').private;
      const text = (await ex.readFile('DW_M', monIni)).toString('utf8');
      const bad = path.join(DM.mon, 'bad_dw_ip.ini');
      // the public address reaches the watcher, but dmmal.ini says its MAL_HOST is the private one
      await ex.writeFile(
        'DW_M',
        bad,
        text.replace('MON_DW_CONFIRM = 1', 'MON_DW_CONFIRM = 0').replace(`${priv}:5253`, `${pub}:5253`),
      );
      const from = (await dm.log('DW_M')).length;
      const r = await dm.tool('DW_M', 'dmmonitor', [bad], { stdin: 'show\n' });
      expect(r.exitCode).toBe(2);
      expect(r.stdout).toMatch(
        new RegExp(
          `MON_DW_IP ${re(pub)}:5253 does not match .*MAL_HOST:MAL_DW_PORT.*DM8 manual 7\\.2\\.5\\.1`,
        ),
      );
      const mine = invocation(await dm.log('DW_M'), from, 'dmmonitor', bad);
      expect(events(mine)).toEqual(['invoke', 'start', 'refused', 'exit']);
      expect(mine.filter((x) => x.event === 'refused')).toHaveLength(1);
      // no command ran: the refusal comes before the console
      expect(mine.some((x) => x.event === 'command')).toBe(false);
    });

    it('refuses a second confirm monitor for the group (§3.3)', async () => {
      pairBuilt();
      const from = (await dm.log('DW_M')).length;
      const r = await dm.tool('DW_M', 'dmmonitor', [monIni], { stdin: 'show\n' });
      expect(r.exitCode).toBe(2);
      expect(r.stdout).toMatch(/already has a confirm monitor.*DM8 manual §3\.3/);
      const mine = invocation(await dm.log('DW_M'), from, 'dmmonitor', monIni);
      expect(events(mine)).toEqual(['invoke', 'start', 'refused', 'exit']);
      expect(mine.find((x) => x.event === 'start')).toMatchObject({ confirm: true });
      // the first confirm monitor is still there, and still the group's
      expect(await dm.alive('DW_M', confirmPid)).toBe(true);
      expect(await confirmShow()).toMatch(/GRP1\s+4533\s+TRUE/);
    });
  });

  // ------------------------------------------------------------------ a group that must not open

  it('refuses a standby whose permanent magic differs from the primary (initialised on its own, 7.1)', async () => {
    const P = db('GRP2_RT_01', 'BAD_P');
    const S = db('GRP2_RT_02', 'BAD_S');
    const files = renderSpec(pairSpec(lab(), { group: 'GRP2', oguid: 4534, p: P, s: S }));
    // both dminit'ed separately and started/stopped normally once: no backup/restore between them
    for (const d of [P, S]) {
      ok(await dm.dminit(d), `dminit ${d.name}`);
      const first = await dm.startServer(d);
      ok(first.result, `first start ${d.name}`);
      await dm.shutdown(d, first.pid);
      await dm.push(files, (f) => f.instance === d.name);
      ok((await dm.startServer(d, { mount: true })).result, `mount ${d.name}`);
    }
    for (const [d, mode] of [
      [P, 'PRIMARY'],
      [S, 'STANDBY'],
    ] as const)
      ok(await dm.setOguidAndMode(d, 4534, mode), `${d.name} oguid/mode`);
    for (const d of [P, S]) {
      const wIni = files.find((f) => f.role === 'dmwatcher.ini' && f.instance === d.name)?.path ?? '';
      ok(
        (
          await dm.background(
            d.host,
            `${DM.bin}/dmwatcher ${shQuote(wIni)} -noconsole`,
            path.join(DM.out, `dmwatcher_${d.name}.out`),
            { ready: 'IS READY' },
          )
        ).result,
        `dmwatcher ${d.name}`,
      );
    }
    const refusals = (log: LogRecord[]) =>
      log.filter((r) => r.event === 'refuse').map((r) => String(r.reason));
    const magic = (peer: string) => new RegExp(`PERMANENT_MAGIC of ${peer} .* differs .*DM8 manual 7\\.1`);
    const logP = await until(async () => {
      const log = await dm.log('BAD_P');
      return refusals(log).some((x) => magic('GRP2_RT_02').test(x)) ? log : undefined;
    }, 'the primary watcher refuses the standby');
    const logS = await until(async () => {
      const log = await dm.log('BAD_S');
      return refusals(log).some((x) => magic('GRP2_RT_01').test(x)) ? log : undefined;
    }, 'the standby watcher refuses the primary');
    // reported once per watcher, after the watcher started; nothing was opened
    for (const [log, peer] of [
      [logP, 'GRP2_RT_02'],
      [logS, 'GRP2_RT_01'],
    ] as const) {
      expect(refusals(log).filter((x) => magic(peer).test(x))).toHaveLength(1);
      const iStart = log.findIndex((r) => r.event === 'start' && r.tool === 'dmwatcher');
      const iRefuse = log.findIndex((r) => r.event === 'refuse' && magic(peer).test(String(r.reason)));
      expect(iRefuse).toBeGreaterThan(iStart);
      expect(log.some((r) => r.event === 'open')).toBe(false);
    }
    expect((await dm.instance(P))?.status).toBe('MOUNT');
    expect((await dm.instance(S))?.status).toBe('MOUNT');
  }, 40_000);

  // ------------------------------------------------------------------ single-database refusals

  describe('single-database refusals', () => {
    /** A new database on REF on its own port. */
    async function fresh(name: string, port: number): Promise<Db> {
      const d = db(name, 'REF', port);
      ok(await dm.dminit(d, [`PORT_NUM=${port}`]), `dminit ${name}`);
      return d;
    }
    /** Started normally once and shut down normally (7.1 note). */
    async function started(name: string, port: number): Promise<Db> {
      const d = await fresh(name, port);
      const first = await dm.startServer(d);
      ok(first.result, `first start ${name}`);
      await dm.shutdown(d, first.pid);
      return d;
    }
    /** Set dm.ini keys the way the deployer does (read, merge, atomic write). */
    async function setIni(d: Db, patch: string): Promise<void> {
      await dm.push(
        [{ host: d.host, path: d.ini, role: 'dm.ini', kind: 'ini-patch', content: patch }],
        () => true,
      );
    }

    it('refuses the first start of a new database in MOUNT (7.1 注意)', async () => {
      const d = await fresh('R_MOUNT', 5301);
      const from = (await dm.log('REF')).length;
      const r = await dm.startServer(d, { mount: true });
      expect(r.result.exitCode).toBe(1);
      expect(r.result.stderr).toMatch(/cannot be started in MOUNT the first time.*DM8 manual 7\.1 注意/);
      const mine = invocation(await dm.log('REF'), from, 'dmserver', d.ini);
      expect(events(mine)).toEqual(['invoke', 'start', 'error']);
      // the database is unharmed: a normal first start works
      const ok1 = await dm.startServer(d);
      ok(ok1.result, 'normal start');
      await dm.shutdown(d, ok1.pid);
    });

    it('refuses dminit onto an existing database (7.1)', async () => {
      const d = await fresh('R_INIT', 5302);
      const ctl = path.join(path.dirname(d.ini), 'dm.ctl');
      const before = ok(await ex.exec('REF', `sha256sum ${ctl}`), 'sum').stdout;
      const from = (await dm.log('REF')).length;
      const r = await dm.dminit(d, ['PORT_NUM=5302']);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(/already exists.*DM8 manual 7\.1/);
      const log = await dm.log('REF');
      expect(events(invocation(log, from, 'dminit', `path=${d.path}`))).toEqual(['invoke', 'error']);
      expect(log.filter((x) => x.event === 'dminit' && x.path === d.path)).toHaveLength(1);
      expect(ok(await ex.exec('REF', `sha256sum ${ctl}`), 'sum').stdout).toBe(before);
    });

    it('refuses RESTORE onto a running database (7.1.1)', async () => {
      const src = await started('R_SRC', 5303);
      const arch = path.join(path.dirname(src.ini), 'arch');
      await ex.writeFile(
        'REF',
        path.join(path.dirname(src.ini), 'dmarch.ini'),
        `[ARCHIVE_LOCAL1]\n\tARCH_TYPE = LOCAL\n\tARCH_DEST = ${arch}\n\tARCH_FILE_SIZE = 128\n\tARCH_SPACE_LIMIT = 0\n`,
      );
      await setIni(src, 'ARCH_INI = 1\n');
      const set = path.join(DM.bak, 'r_src');
      ok(await dm.rman('REF', `BACKUP DATABASE '${src.ini}' BACKUPSET '${set}'`), 'backup');
      const dst = await fresh('R_DST', 5304);
      const running = await dm.startServer(dst);
      ok(running.result, 'start target');
      const from = (await dm.log('REF')).length;
      const r = await dm.rman('REF', `RESTORE DATABASE '${dst.ini}' FROM BACKUPSET '${set}'`);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(/RESTORE onto a running database.*running dmserver.*DM8 manual 7\.1\.1/);
      const mine = invocation(await dm.log('REF'), from, 'dmrman', dst.ini);
      expect(events(mine)).toEqual(['invoke', 'rman', 'rman-done', 'error']);
      expect(mine.find((x) => x.event === 'rman-done')).toMatchObject({ ok: false });
      expect(mine.some((x) => x.event === 'restore')).toBe(false);
      expect(await dm.instance(dst)).toEqual({ status: 'OPEN', mode: 'NORMAL', oguid: 0 });
      await dm.shutdown(dst, running.pid);
    });

    it('refuses SP_SET_OGUID outside MOUNT (§2.2.13)', async () => {
      const d = await started('R_OGUID', 5305);
      const run = await dm.startServer(d);
      ok(run.result, 'open');
      const from = (await dm.log('REF')).length;
      const r = await dm.sql(d, [`SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`, 'SP_SET_OGUID(4533)']);
      expect(r.exitCode).not.toBe(0);
      expect(r.stdout).toMatch(/SP_SET_OGUID\(4533\) refused: the database is OPEN.*DM8 manual §2\.2\.13/);
      const log = (await dm.log('REF')).slice(from);
      expect(
        log.filter((x) => x.event === 'exec' && x.tool === 'dmserver').map((x) => [x.stmt, x.ok]),
      ).toEqual([
        [`SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`, true],
        ['SP_SET_OGUID(4533)', false],
      ]);
      expect(await dm.instance(d)).toEqual({ status: 'OPEN', mode: 'NORMAL', oguid: 0 });
      await dm.shutdown(d, run.pid);
    });

    it('refuses a mode change with ALTER_MODE_STATUS = 0 (§5.1)', async () => {
      const d = await started('R_AMS', 5306);
      await setIni(d, 'ALTER_MODE_STATUS = 0\n');
      const run = await dm.startServer(d, { mount: true });
      ok(run.result, 'mount');
      // 7.2.4.7: a NORMAL database may become PRIMARY without the wrapper ...
      ok(await dm.sql(d, ['ALTER DATABASE PRIMARY']), 'normal -> primary');
      const from = (await dm.log('REF')).length;
      // ... but a PRIMARY one may not change mode, nor anyone the OGUID
      const r = await dm.sql(d, ['ALTER DATABASE STANDBY']);
      expect(r.exitCode).not.toBe(0);
      expect(r.stdout).toMatch(/ALTER DATABASE STANDBY refused: ALTER_MODE_STATUS = 0.*DM8 manual §5\.1/);
      const r2 = await dm.sql(d, ['SP_SET_OGUID(4533)']);
      expect(r2.stdout).toMatch(/ALTER_MODE_STATUS = 0.*DM8 manual §5\.1/);
      const log = (await dm.log('REF')).slice(from);
      expect(
        log.filter((x) => x.event === 'exec' && x.tool === 'dmserver').map((x) => [x.stmt, x.ok]),
      ).toEqual([
        ['ALTER DATABASE STANDBY', false],
        ['SP_SET_OGUID(4533)', false],
      ]);
      expect(await dm.instance(d)).toEqual({ status: 'MOUNT', mode: 'PRIMARY', oguid: 0 });
      await dm.shutdown(d, run.pid);
    });
  });

  // ------------------------------------------------------------------ secrets

  it("no password in any host's dmsim log, in `ps` on any host during the run, or in the executor's log", async () => {
    for (const h of HOSTS) {
      const text = await dm.logText(h);
      expect(text.length, `${h} has a dmsim log`).toBeGreaterThan(0);
      expect(text.includes(PASSWORD), `password in ${h}:${DM.log}`).toBe(false);
    }
    // the password went over stdin many times (dminit, disql)
    const withStdin = exLog.lines.filter((x) => x.includes('(with stdin)'));
    expect(withStdin.length).toBeGreaterThan(20);
    expect(exLog.text().includes(PASSWORD)).toBe(false);
    // ps, sampled on each host every 150 ms since before the first tool ran
    expect(samplers).toEqual([...HOSTS]);
    for (const h of HOSTS) {
      const rounds = Number(ok(await ex.exec(h, `cat ${PS_ROUNDS}`), 'rounds').stdout.trim());
      expect(rounds, `${h}: ps rounds`).toBeGreaterThan(20);
      const seen = (await ex.readFile(h, PS_SEEN)).toString('utf8');
      expect(seen.includes(PASSWORD), `password in ps on ${h}`).toBe(false);
      // the sampler did see the tools (so it was looking at the right process table)
      expect(seen).toMatch(/dmsim\.cjs dmserver /);
    }
  });
});
