/**
 * The single-host tools: dminit, dmserver, disql, dmrman, dmctlcvt, the action log and the
 * install. Each refusal the manual states has a test of its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIni } from '../../lib/render/ini';
import { PASSWORD, SimLab, ok, until, type SimHost } from './harness';
import { listProcesses } from './src/common';
import { setDmIniValue } from './src/config';

let lab: SimLab;
afterAll(async () => lab?.cleanup());
beforeAll(() => {
  lab = SimLab.create('dmsim-tools');
});

/** A fresh database on its own port; returns its dm.ini. */
async function freshDb(h: SimHost, name: string): Promise<{ ini: string; port: number; dir: string }> {
  const base = path.join(h.dir, name);
  ok(await h.dminit(base), 'dminit');
  const ini = path.join(base, 'DAMENG', 'dm.ini');
  const [port] = lab.ports(1) as [number];
  setDmIniValue(ini, 'PORT_NUM', String(port));
  return { ini, port, dir: path.join(base, 'DAMENG') };
}

/** A database started normally once and shut down normally (7.1 note), with a local archive. */
async function preparedDb(h: SimHost, name: string) {
  const db = await freshDb(h, name);
  ok(await h.startServer(db.ini), 'first start');
  await h.stopServer(db.ini);
  fs.writeFileSync(
    path.join(db.dir, 'dmarch.ini'),
    `[ARCHIVE_LOCAL1]\nARCH_TYPE = LOCAL\nARCH_DEST = ${db.dir}/arch\nARCH_FILE_SIZE = 128\nARCH_SPACE_LIMIT = 0\n`,
  );
  setDmIniValue(db.ini, 'ARCH_INI', '1');
  return db;
}

describe('dminit', () => {
  it('creates <path>/DAMENG with a realistic dm.ini and a control file holding the magic numbers', async () => {
    const h = lab.host('I1');
    const base = path.join(h.dir, 'data');
    const r = ok(await h.dminit(base), 'dminit');
    expect(r.stdout).toContain('create dm database success');
    const ini = parseIni(fs.readFileSync(path.join(base, 'DAMENG', 'dm.ini'), 'utf8'));
    const v = new Map(ini.globals);
    expect(ini.sections).toEqual([]);
    expect(v.get('INSTANCE_NAME')).toBe('DMSERVER');
    expect(v.get('PORT_NUM')).toBe('5236');
    expect(v.get('CTL_PATH')).toBe(path.join(base, 'DAMENG', 'dm.ctl'));
    expect(v.get('SYSTEM_PATH')).toBe(path.join(base, 'DAMENG'));
    expect(v.get('CONFIG_PATH')).toBe(path.join(base, 'DAMENG'));
    expect([v.get('ARCH_INI'), v.get('MAL_INI'), v.get('ALTER_MODE_STATUS')]).toEqual(['0', '0', '1']);
    const ctl = JSON.parse(fs.readFileSync(path.join(base, 'DAMENG', 'dm.ctl'), 'utf8'));
    expect(ctl).toMatchObject({ oguid: 0, mode: 'NORMAL', firstNormalStartDone: false });
    expect(ctl.permanentMagic).toBeGreaterThan(0);
    // only a salted hash of the password is kept, anywhere under the lab
    expect(JSON.stringify(ctl)).not.toContain(PASSWORD);
    expect(fs.readFileSync(h.logFile, 'utf8')).not.toContain(PASSWORD);
    // DB_NAME and INSTANCE_NAME are honoured
    ok(
      await h.dminit(path.join(h.dir, 'd2'), ['DB_NAME=DB2', 'INSTANCE_NAME=GRP1_RT_09', 'PORT_NUM=32141']),
      'dminit DB_NAME',
    );
    const v2 = new Map(parseIni(fs.readFileSync(path.join(h.dir, 'd2', 'DB2', 'dm.ini'), 'utf8')).globals);
    expect([v2.get('INSTANCE_NAME'), v2.get('PORT_NUM')]).toEqual(['GRP1_RT_09', '32141']);
  });

  it('refuses to initialise over an existing database (7.1)', async () => {
    const h = lab.host('I2');
    const base = path.join(h.dir, 'data');
    ok(await h.dminit(base), 'dminit');
    const ctlBefore = fs.readFileSync(path.join(base, 'DAMENG', 'dm.ctl'), 'utf8');
    const r = await h.dminit(base);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/already exists.*DM8 manual 7\.1/);
    expect(fs.readFileSync(path.join(base, 'DAMENG', 'dm.ctl'), 'utf8')).toBe(ctlBefore);
  });

  it('takes the SYSDBA password only on stdin, and refuses SYSDBA_PWD= on the command line', async () => {
    const h = lab.host('I3');
    const r1 = await h.run('dminit', [`path=${h.dir}/a`, `SYSDBA_PWD=${PASSWORD}`], { stdin: '' });
    expect(r1.code).not.toBe(0);
    expect(r1.stderr).toMatch(/SYSDBA_PWD on the command line is refused/);
    expect(fs.readFileSync(h.logFile, 'utf8')).not.toContain(PASSWORD);
    expect(fs.readFileSync(h.logFile, 'utf8')).toContain('SYSDBA_PWD=******');
    const r2 = await h.run('dminit', [`path=${h.dir}/b`], { stdin: '' });
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toMatch(/standard input/);
    const r3 = await h.run('dminit', [`path=${h.dir}/c`, 'NO_SUCH_PARAM=1'], { stdin: PASSWORD + '\n' });
    expect(r3.stderr).toMatch(/invalid parameter NO_SUCH_PARAM/);
  });
});

describe('dmserver and disql', () => {
  it('refuses the first start of a new database in MOUNT (7.1 note)', async () => {
    const h = lab.host('S1');
    const db = await freshDb(h, 'db');
    // DMSIM_DAEMON=1: dmserver detaches itself and reports the child's refusal or readiness
    const r = await h.startDaemon(db.ini, ['mount']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot be started in MOUNT the first time.*7\.1/);
    // after a normal start and a normal shutdown, MOUNT is allowed
    const started = ok(await h.startDaemon(db.ini), 'normal start');
    expect(started.stdout).toContain('SYSTEM IS READY');
    expect(await h.instance(db.port)).toMatchObject({ STATUS$: 'OPEN', MODE$: 'NORMAL', OGUID: 0 });
    await h.stopServer(db.ini);
    ok(await h.startServer(db.ini, ['mount']), 'mount start');
    expect((await h.instance(db.port)).STATUS$).toBe('MOUNT');
    await h.stopServer(db.ini);
  });

  it('a crash (SIGKILL) is not a normal shutdown: the first MOUNT start is still refused', async () => {
    const h = lab.host('S2');
    const db = await freshDb(h, 'db');
    ok(await h.startServer(db.ini), 'start');
    h.kill('dmserver', 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    const r = await h.startServer(db.ini, ['mount']);
    expect(r.stderr).toMatch(/7\.1/);
  });

  it('disql: DM-shaped output by default, wrong password refused, errors exit non-zero', async () => {
    const h = lab.host('S3');
    const db = await freshDb(h, 'db');
    ok(await h.startServer(db.ini), 'start');
    const r = await h.run('disql', ['/nolog'], {
      stdin: `CONN SYSDBA/${PASSWORD}@${h.priv}:${db.port}\nselect instance_name, mode$, status$ from v$instance;\nEXIT\n`,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`服务器[${h.priv}:${db.port}]:处于普通打开状态`);
    expect(r.stdout).toMatch(/行号\s+INSTANCE_NAME\s+MODE\$\s+STATUS\$/);
    expect(r.stdout).toMatch(/1\s+DMSERVER\s+NORMAL\s+OPEN/);
    // the brief's form: first stdin line is the login; quoted password
    const r2 = await h.run('disql', ['-S'], {
      stdin: `SYSDBA/"${PASSWORD}"@${h.priv}:${db.port}\nSET HEADING OFF LINESHOW OFF TIMING OFF FEEDBACK OFF\nSELECT OGUID FROM V$INSTANCE;\n`,
    });
    expect(r2.code).toBe(0);
    expect(r2.stdout.trim()).toBe('0');
    // SYSDBA@host:port in argv, password on stdin
    const r3 = await h.run('disql', ['-S', `SYSDBA@${h.priv}:${db.port}`], {
      stdin: `${PASSWORD}\nselect 1;\n`,
    });
    expect(r3.code).toBe(0);
    const bad = await h.run('disql', ['-S', '/nolog'], {
      stdin: `CONN SYSDBA/wrong_password@${h.priv}:${db.port}\nselect 1;\n`,
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toContain('[-2501]');
    const argvPw = await h.run('disql', [`SYSDBA/${PASSWORD}@${h.priv}:${db.port}`], { stdin: '' });
    expect(argvPw.code).not.toBe(0);
    expect(argvPw.stderr).toMatch(/password on the command line is refused/);
    const syntax = await h.sql(db.port, ['SELEC nothing']);
    expect(syntax.code).not.toBe(0);
    // a secret inside a statement is redacted in both logs (the statement itself is not modelled)
    const secret = await h.sql(db.port, [`ALTER USER SYSDBA IDENTIFIED BY "${PASSWORD}x"`]);
    expect(secret.code).not.toBe(0);
    // no password in any log line
    expect(fs.readFileSync(h.logFile, 'utf8')).not.toContain(PASSWORD);
    await h.stopServer(db.ini);
  });

  it('disql: the MPP login type #{MPP_TYPE=...} in every logon form; no effect on a non-MPP instance (DIsql manual 2.1.2.2)', async () => {
    const h = lab.host('M1');
    const db = await preparedDb(h, 'db');
    ok(await h.startServer(db.ini, ['mount']), 'mount');
    const srv = `${h.priv}:${db.port}`;
    const oguid = 'SET HEADING OFF LINESHOW OFF TIMING OFF FEEDBACK OFF\nSELECT OGUID FROM V$INSTANCE;\n';
    // CONN on stdin, key and value case-insensitive; a GLOBAL session (the default) works on a
    // non-MPP instance even in MOUNT
    for (const opt of ['#{MPP_TYPE=LOCAL}', '#{mpp_type=local}', '#{MPP_TYPE=GLOBAL}', ''])
      expect(
        ok(
          await h.run('disql', ['-S', '/nolog'], { stdin: `CONN SYSDBA/${PASSWORD}@${srv}${opt}\n${oguid}` }),
          `CONN ${opt}`,
        ).stdout.trim(),
      ).toBe('0');
    // the first stdin line as the logon; a quoted password
    ok(
      await h.run('disql', ['-S'], { stdin: `SYSDBA/"${PASSWORD}"@${srv}#{MPP_TYPE=LOCAL}\n${oguid}` }),
      'first line',
    );
    // USER@server in argv (both DM spellings of the option), the password on stdin
    for (const opt of ['#{MPP_TYPE=LOCAL}', '#"{MPP_TYPE=LOCAL}"'])
      ok(
        await h.run('disql', ['-S', `SYSDBA@${srv}${opt}`], { stdin: `${PASSWORD}\n${oguid}` }),
        `argv ${opt}`,
      );
    // an invalid value, an unknown option and an option dmsim does not model are refused
    const bad = async (opt: string, re: RegExp) => {
      const r = await h.run('disql', ['-S', '/nolog'], {
        stdin: `CONN SYSDBA/${PASSWORD}@${srv}${opt}\nselect 1;\n`,
      });
      expect(r.code, opt).toBe(1);
      expect(r.stdout, opt).toMatch(re);
      expect(r.stdout).not.toContain(PASSWORD);
    };
    await bad('#{MPP_TYPE=NODE}', /MPP_TYPE=NODE: the value must be GLOBAL or LOCAL/);
    await bad('#{MPP_KIND=LOCAL}', /unknown logon option MPP_KIND/);
    await bad('#{INET_TYPE=TCP}', /logon option INET_TYPE is not modelled/);
    // the connect events carry the session's MPP type
    const connects = h.log().filter((r) => r.event === 'connect' && r.tool === 'disql');
    expect(connects.slice(0, 4).map((r) => r.mppType)).toEqual(['LOCAL', 'LOCAL', 'GLOBAL', 'GLOBAL']);
    expect(connects.slice(4, 7).map((r) => r.mppType)).toEqual(['LOCAL', 'LOCAL', 'LOCAL']);
    expect(fs.readFileSync(h.logFile, 'utf8')).not.toContain(PASSWORD);
    await h.stopServer(db.ini);
  });

  it('refuses a GLOBAL disql session to an MPP_INI=1 instance that is not OPEN; a LOCAL one sets OGUID and mode (7.4.3.6, 7.4.3.7)', async () => {
    const h = lab.host('M2');
    const db = await preparedDb(h, 'db');
    const mppIni = path.join(db.dir, 'dmmpp.ini');
    fs.writeFileSync(mppIni, '[service_name1]\n\tMPP_SEQ_NO = 0\n\tMPP_INST_NAME = DMSERVER\n');
    ok(
      await h.run('dmctlcvt', ['TYPE=2', `SRC=${mppIni}`, `DEST=${path.join(db.dir, 'dmmpp.ctl')}`]),
      'ctlcvt',
    );
    setDmIniValue(db.ini, 'MPP_INI', '1');
    ok(await h.startServer(db.ini, ['mount']), 'mount');
    const stmts = [
      `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
      'SP_SET_OGUID(45330)',
      'ALTER DATABASE PRIMARY',
    ];
    const from = h.log().length;
    // the default session type is GLOBAL: refused in MOUNT, DM-style, exit 1, nothing executed
    const refused = await h.sql(db.port, stmts, { json: false });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      /\[-8207\]:MPP GLOBAL session refused: MPP_INI = 1 and instance DMSERVER is in MOUNT state.*MPP_TYPE = LOCAL.*\(DM8 manual 7\.4\.3\.6, 7\.4\.3\.7\)/,
    );
    const global = await h.sql(db.port, stmts, { json: false, mpp: 'GLOBAL' });
    expect(global.code).toBe(1);
    expect(global.stdout).toContain('[-8207]');
    // the argv form is refused the same way
    const argv = await h.run('disql', ['-S', `SYSDBA@${h.priv}:${db.port}`], {
      stdin: `${PASSWORD}\nselect 1;\n`,
    });
    expect(argv.code).toBe(1);
    expect(argv.stdout).toContain('[-8207]');
    const log = h.log().slice(from);
    expect(log.filter((r) => r.event === 'exec')).toEqual([]);
    expect(log.filter((r) => r.event === 'login-refused').map((r) => r.mppType)).toEqual([
      'GLOBAL',
      'GLOBAL',
      'GLOBAL',
    ]);
    // LOCAL: the manual's way to set OGUID and mode of an MPP instance in MOUNT
    ok(await h.sql(db.port, stmts, { mpp: 'LOCAL' }), 'LOCAL session');
    expect(await h.instance(db.port)).toMatchObject({ STATUS$: 'MOUNT', MODE$: 'PRIMARY', OGUID: 45330 });
    ok(
      await h.run('disql', ['-S', `SYSDBA@${h.priv}:${db.port}#{MPP_TYPE=LOCAL}`], {
        stdin: `${PASSWORD}\nALTER DATABASE OPEN FORCE;\n`,
      }),
      'open (LOCAL, argv form)',
    );
    // once OPEN, a GLOBAL session is accepted
    ok(await h.sql(db.port, ['SELECT 1']), 'GLOBAL once OPEN');
    await h.stopServer(db.ini);
  });

  it('refuses SP_SET_OGUID outside MOUNT (§2.2.13)', async () => {
    const h = lab.host('S4');
    const db = await preparedDb(h, 'db');
    ok(await h.startServer(db.ini), 'open');
    const r = await h.sql(db.port, [`SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`, 'SP_SET_OGUID(4533)']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/SP_SET_OGUID\(4533\) refused: the database is OPEN.*§2\.2\.13/);
    expect((await h.instance(db.port)).OGUID).toBe(0);
    await h.stopServer(db.ini);
  });

  it('refuses ALTER DATABASE PRIMARY/STANDBY outside MOUNT (§2.2.3)', async () => {
    const h = lab.host('S5');
    const db = await preparedDb(h, 'db');
    ok(await h.startServer(db.ini), 'open');
    const r = await h.sql(db.port, ['ALTER DATABASE PRIMARY']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/ALTER DATABASE PRIMARY refused: the database is OPEN.*§2\.2\.3/);
    expect((await h.instance(db.port)).MODE$).toBe('NORMAL');
    await h.stopServer(db.ini);
  });

  it('refuses OGUID changes with ALTER_MODE_STATUS = 0 (§5.1)', async () => {
    const h = lab.host('S6');
    const db = await preparedDb(h, 'db');
    setDmIniValue(db.ini, 'ALTER_MODE_STATUS', '0');
    ok(await h.startServer(db.ini, ['mount']), 'mount');
    const r = await h.sql(db.port, ['SP_SET_OGUID(4533)']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/ALTER_MODE_STATUS = 0.*§5\.1 ALTER_MODE_STATUS/);
    // 7.2.4.7: a NORMAL database may change mode without the wrapper ...
    ok(await h.sql(db.port, ['ALTER DATABASE PRIMARY']), 'normal -> primary');
    // ... but a PRIMARY one may not
    const r2 = await h.sql(db.port, ['ALTER DATABASE STANDBY']);
    expect(r2.stdout).toMatch(/ALTER DATABASE STANDBY refused: ALTER_MODE_STATUS = 0/);
    // with the manual's wrapper it works, and the dm.ini keeps the final value
    ok(
      await h.sql(db.port, [
        `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
        'SP_SET_OGUID(4533)',
        'ALTER DATABASE STANDBY',
        `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 0)`,
      ]),
      'wrapped',
    );
    expect(await h.instance(db.port)).toMatchObject({ MODE$: 'STANDBY', OGUID: 4533, STATUS$: 'MOUNT' });
    expect(new Map(parseIni(fs.readFileSync(db.ini, 'utf8')).globals).get('ALTER_MODE_STATUS')).toBe('0');
    await h.stopServer(db.ini);
  });

  it('refuses OPEN without FORCE in PRIMARY/STANDBY mode (§2.2.4) and starts such a database in MOUNT (§6.2)', async () => {
    const h = lab.host('S7');
    const db = await preparedDb(h, 'db');
    ok(await h.startServer(db.ini, ['mount']), 'mount');
    ok(await h.sql(db.port, ['ALTER DATABASE PRIMARY']), 'primary');
    const r = await h.sql(db.port, ['ALTER DATABASE OPEN']);
    expect(r.stdout).toMatch(/must be opened with FORCE.*§2\.2\.4/);
    ok(await h.sql(db.port, ['ALTER DATABASE OPEN FORCE']), 'open force');
    await h.stopServer(db.ini);
    ok(await h.startServer(db.ini), 'start without mount');
    expect(await h.instance(db.port)).toMatchObject({ STATUS$: 'MOUNT', MODE$: 'PRIMARY' });
    await h.stopServer(db.ini);
  });

  it('persists mode, OGUID and the first-start flag across a normal shutdown; SHUTDOWN via disql works', async () => {
    const h = lab.host('S8');
    const db = await preparedDb(h, 'db');
    ok(await h.startServer(db.ini, ['mount']), 'mount');
    ok(await h.sql(db.port, ['SP_SET_OGUID(77)', 'ALTER DATABASE STANDBY']), 'set');
    ok(await h.sql(db.port, ['SHUTDOWN']), 'shutdown');
    // the server answers, then writes its control file as it goes down: read it once it is gone
    await until(
      () => !listProcesses(h.runDir).some((x) => x.tool === 'dmserver' && x.key === db.ini),
      'the dmserver to exit',
    );
    const ctl = JSON.parse(fs.readFileSync(path.join(db.dir, 'dm.ctl'), 'utf8'));
    expect(ctl).toMatchObject({
      mode: 'STANDBY',
      oguid: 77,
      firstNormalStartDone: true,
      lastShutdown: 'NORMAL',
    });
  });

  it('refuses a second dmserver on the same database, and a taken port', async () => {
    const h = lab.host('S9');
    const db = await preparedDb(h, 'db');
    ok(await h.startServer(db.ini), 'start');
    const again = await h.startServer(db.ini);
    expect(again.stderr).toMatch(/already running/);
    const other = await preparedDb(h, 'db2');
    setDmIniValue(other.ini, 'PORT_NUM', String(db.port));
    const clash = await h.startServer(other.ini);
    expect(clash.stderr).toMatch(/already in use/);
    await h.stopServer(db.ini);
  });

  it('checks dmmal.ini and dmarch.ini at startup as DM does (§5.2, §5.3, §5.7)', async () => {
    const h = lab.host('S10');
    const db = await preparedDb(h, 'db');
    const [malPort, dwPort, instDwPort] = lab.ports(3) as [number, number, number];
    setDmIniValue(db.ini, 'INSTANCE_NAME', 'GRP1_X_01');
    setDmIniValue(db.ini, 'MAL_INI', '1');
    const mal = (instPort: number) =>
      `[MAL_INST1]\nMAL_INST_NAME = GRP1_X_01\nMAL_HOST = ${h.priv}\nMAL_PORT = ${malPort}\nMAL_INST_HOST = ${h.pub}\nMAL_INST_PORT = ${instPort}\nMAL_DW_PORT = ${dwPort}\nMAL_INST_DW_PORT = ${instDwPort}\n`;
    fs.writeFileSync(path.join(db.dir, 'dmmal.ini'), mal(db.port + 1000));
    expect((await h.startServer(db.ini)).stderr).toMatch(
      /MAL_INST_PORT .* differs from dm\.ini PORT_NUM.*§5\.7/,
    );
    fs.writeFileSync(path.join(db.dir, 'dmmal.ini'), mal(db.port));
    fs.appendFileSync(
      path.join(db.dir, 'dmarch.ini'),
      `[ARCHIVE_REALTIME1]\nARCH_TYPE = REALTIME\nARCH_DEST = NOBODY\n`,
    );
    expect((await h.startServer(db.ini)).stderr).toMatch(
      /ARCH_DEST NOBODY is not an instance in dmmal\.ini.*§5\.3/,
    );
  });
});

describe('dmrman and backup sets (7.1)', () => {
  it('offline backup, restore and UPDATE DB_MAGIC carry permanent magic, mode and OGUID', async () => {
    const h = lab.host('R1');
    const src = await preparedDb(h, 'src');
    ok(await h.startServer(src.ini, ['mount']), 'mount');
    ok(await h.sql(src.port, ['SP_SET_OGUID(4533)', 'ALTER DATABASE PRIMARY']), 'mode');
    await h.stopServer(src.ini);
    const bak = path.join(h.dir, 'bak1');
    const b = ok(
      await h.run('dmrman', [`CTLSTMT=BACKUP DATABASE '${src.ini}' FULL TO BACKUP_FILE1 BACKUPSET '${bak}'`]),
      'backup',
    );
    expect(b.stdout).toContain('backup successfully');
    expect(fs.readdirSync(bak).sort()).toEqual(['BACKUP_FILE1.bak', 'BACKUP_FILE1.meta']);
    const dst = await freshDb(h, 'dst');
    ok(await h.run('dmrman', [`CTLSTMT=RESTORE DATABASE '${dst.ini}' FROM BACKUPSET '${bak}'`]), 'restore');
    // the restored database cannot start before it has its own DB_MAGIC
    expect((await h.startServer(dst.ini, ['mount'])).stderr).toMatch(/UPDATE DB_MAGIC.*7\.1/);
    ok(await h.run('dmrman', [`CTLSTMT=RECOVER DATABASE '${dst.ini}' UPDATE DB_MAGIC`]), 'update db_magic');
    const a = JSON.parse(fs.readFileSync(path.join(src.dir, 'dm.ctl'), 'utf8'));
    const c = JSON.parse(fs.readFileSync(path.join(dst.dir, 'dm.ctl'), 'utf8'));
    expect(c.permanentMagic).toBe(a.permanentMagic);
    expect(c.dbMagic).not.toBe(a.dbMagic);
    expect(c).toMatchObject({ mode: 'PRIMARY', oguid: 4533, pending: null });
    // the SYSDBA password travels with the data
    ok(await h.startServer(dst.ini, ['mount']), 'mount restored');
    expect(await h.instance(dst.port)).toMatchObject({ MODE$: 'PRIMARY', OGUID: 4533 });
    await h.stopServer(dst.ini);
  });

  it('online backup (SQL) then restore, RECOVER FOR STANDBY FROM BACKUPSET, UPDATE DB_MAGIC (7.1.2)', async () => {
    const h = lab.host('R2');
    const src = await preparedDb(h, 'src');
    ok(await h.startServer(src.ini), 'open');
    const bak = path.join(h.dir, 'bak2');
    ok(await h.sql(src.port, [`BACKUP DATABASE BACKUPSET '${bak}'`]), 'online backup');
    await h.stopServer(src.ini);
    const dst = await freshDb(h, 'dst');
    // console form: use_ap=2, statements on stdin
    const rman = (stmts: string) => h.run('dmrman', ['use_ap=2'], { stdin: stmts });
    ok(await rman(`RESTORE DATABASE '${dst.ini}' FROM BACKUPSET '${bak}';\n`), 'restore');
    const skip = await rman(`RECOVER DATABASE '${dst.ini}' UPDATE DB_MAGIC;\n`);
    expect(skip.stderr).toMatch(/must be recovered first.*7\.1\.2/);
    const r = ok(
      await rman(
        `RECOVER DATABASE '${dst.ini}' FOR STANDBY FROM BACKUPSET '${bak}';\nRECOVER DATABASE '${dst.ini}' UPDATE DB_MAGIC;\n`,
      ),
      'recover',
    );
    expect(r.stdout.match(/recover successfully/g)?.length).toBe(2);
  });

  it('refuses RESTORE onto a running database (7.1.1)', async () => {
    const h = lab.host('R3');
    const src = await preparedDb(h, 'src');
    const bak = path.join(h.dir, 'bak3');
    ok(await h.run('dmrman', [`CTLSTMT=BACKUP DATABASE '${src.ini}' BACKUPSET '${bak}'`]), 'backup');
    const dst = await preparedDb(h, 'dst');
    ok(await h.startServer(dst.ini), 'start target');
    const r = await h.run('dmrman', [`CTLSTMT=RESTORE DATABASE '${dst.ini}' FROM BACKUPSET '${bak}'`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/RESTORE onto a running database.*running dmserver.*7\.1\.1/);
    await h.stopServer(dst.ini);
  });

  it('refuses an offline backup of a running database, of a new never-started one, and without a local archive', async () => {
    const h = lab.host('R4');
    const fresh = await freshDb(h, 'fresh');
    const r1 = await h.run('dmrman', [`CTLSTMT=BACKUP DATABASE '${fresh.ini}' BACKUPSET '${h.dir}/b1'`]);
    expect(r1.stderr).toMatch(/newly initialised database must be started normally.*7\.1/);
    ok(await h.startServer(fresh.ini), 'start');
    const r2 = await h.run('dmrman', [`CTLSTMT=BACKUP DATABASE '${fresh.ini}' BACKUPSET '${h.dir}/b2'`]);
    expect(r2.stderr).toMatch(/running dmserver/);
    await h.stopServer(fresh.ini);
    const r3 = await h.run('dmrman', [`CTLSTMT=BACKUP DATABASE '${fresh.ini}' BACKUPSET '${h.dir}/b3'`]);
    expect(r3.stderr).toMatch(/LOCAL archive.*7\.1/);
    // a crashed database is not "shut down normally" (7.1.1 step 1)
    fs.writeFileSync(
      path.join(fresh.dir, 'dmarch.ini'),
      `[ARCHIVE_LOCAL1]\nARCH_TYPE = LOCAL\nARCH_DEST = ${fresh.dir}/arch\n`,
    );
    setDmIniValue(fresh.ini, 'ARCH_INI', '1');
    ok(await h.startServer(fresh.ini), 'start again');
    h.kill('dmserver', 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    const r4 = await h.run('dmrman', [`CTLSTMT=BACKUP DATABASE '${fresh.ini}' BACKUPSET '${h.dir}/b4'`]);
    expect(r4.stderr).toMatch(/not shut down normally.*7\.1\.1/);
  });

  it('refuses a damaged backup set copy', async () => {
    const h = lab.host('R5');
    const src = await preparedDb(h, 'src');
    const bak = path.join(h.dir, 'bak5');
    ok(await h.run('dmrman', [`CTLSTMT=BACKUP DATABASE '${src.ini}' TO B5 BACKUPSET '${bak}'`]), 'backup');
    fs.appendFileSync(path.join(bak, 'B5.bak'), 'x');
    const dst = await freshDb(h, 'dst');
    const r = await h.run('dmrman', [`CTLSTMT=RESTORE DATABASE '${dst.ini}' FROM BACKUPSET '${bak}'`]);
    expect(r.stderr).toMatch(/damaged/);
  });
});

describe('dmctlcvt (7.4.3.4)', () => {
  it('converts dmmpp.ini to a deterministic dmmpp.ctl and back (TYPE=2 / TYPE=1)', async () => {
    const h = lab.host('C1');
    const ini = path.join(h.dir, 'dmmpp.ini');
    fs.writeFileSync(
      ini,
      '[service_name1]\n\tmpp_seq_no = 0\n\tmpp_inst_name = GRP1_MPP_EP01\n[service_name2]\n\tmpp_seq_no = 1\n\tmpp_inst_name = GRP2_MPP_EP02\n',
    );
    const d1 = path.join(h.dir, 'a', 'dmmpp.ctl');
    const d2 = path.join(h.dir, 'b', 'dmmpp.ctl');
    ok(await h.run('dmctlcvt', ['TYPE=2', `SRC=${ini}`, `DEST=${d1}`]), 'cvt1');
    ok(await h.run('dmctlcvt', ['TYPE=2', `SRC=${ini}`, `DEST=${d2}`]), 'cvt2');
    expect(fs.readFileSync(d1).equals(fs.readFileSync(d2))).toBe(true);
    const txt = path.join(h.dir, 'back.txt');
    ok(await h.run('dmctlcvt', ['TYPE=1', `SRC=${d1}`, `DEST=${txt}`]), 'back');
    expect(
      parseIni(fs.readFileSync(txt, 'utf8')).sections.map((s) => [s.name, ...s.entries.map((e) => e[1])]),
    ).toEqual([
      ['service_name1', '0', 'GRP1_MPP_EP01'],
      ['service_name2', '1', 'GRP2_MPP_EP02'],
    ]);
    fs.writeFileSync(
      ini,
      '[s1]\nMPP_SEQ_NO = 0\nMPP_INST_NAME = A\n[s2]\nMPP_SEQ_NO = 0\nMPP_INST_NAME = B\n',
    );
    expect((await h.run('dmctlcvt', ['TYPE=2', `SRC=${ini}`, `DEST=${d1}`])).stderr).toMatch(
      /MPP_SEQ_NO must be unique/,
    );
  });
});

describe('the action log and the delay knob', () => {
  it('records every invocation and mutating statement in order, without secrets', async () => {
    const h = lab.host('L1');
    const db = await preparedDb(h, 'db');
    ok(await h.startServer(db.ini, ['mount']), 'mount');
    ok(await h.sql(db.port, ['SP_SET_OGUID(9)', 'ALTER DATABASE PRIMARY', 'SELECT 1']), 'sql');
    await h.stopServer(db.ini);
    const log = h.log();
    const tools = log.filter((r) => r.event === 'invoke').map((r) => r.tool);
    expect(tools).toEqual(['dminit', 'dmserver', 'dmserver', 'disql']);
    const execs = log.filter((r) => r.event === 'exec' && r.tool === 'dmserver').map((r) => r.stmt);
    expect(execs).toEqual(['SP_SET_OGUID(9)', 'ALTER DATABASE PRIMARY']);
    expect(log.filter((r) => r.event === 'connect')[0]).toMatchObject({ user: 'SYSDBA', mppType: 'GLOBAL' });
    expect(fs.readFileSync(h.logFile, 'utf8')).not.toContain(PASSWORD);
  });

  it('DMSIM_DELAY_MS models DM time per operation', async () => {
    const h = lab.host('L2');
    const t0 = Date.now();
    ok(
      await h.run('dminit', [`path=${h.dir}/d`], {
        stdin: PASSWORD + '\n',
        env: { DMSIM_DELAY_MS: 'dminit=400' },
      }),
      'dminit',
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
  });
});

describe('install', () => {
  it('writes executable wrappers that start fast', async () => {
    const h = lab.host('X1');
    for (const t of [
      'dminit',
      'dmserver',
      'disql',
      'dmrman',
      'dmwatcher',
      'dmmonitor',
      'dmctlcvt',
      'dmcss',
      'dmasmsvr',
    ])
      expect(fs.statSync(path.join(lab.bin, t)).mode & 0o111).not.toBe(0);
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = process.hrtime.bigint();
      await h.run('dmctlcvt', ['TYPE=1', 'SRC=/nonexistent/dmmpp.ctl', 'DEST=/tmp/x']);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const best = Math.min(...times);
    console.log(`dmsim tool startup (best of 3, wrapper + node + bundle): ${best.toFixed(0)} ms`);
    expect(best).toBeLessThan(1500);
  });
});
