/** 7.2.2: dminit, with SYSDBA's password on standard input. Never over a database that exists. */
import path from 'node:path/posix';
import { shQuote } from '../../ssh';
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import { awaitInFlight } from './in-flight';
import type { StepOf } from './types';

export const dminit: StepKindImpl<StepOf<'dminit'>> = {
  timeoutMs: 15 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const r = new Remote(ctx, step);
    const { initPath, dbName } = step.params;
    await awaitInFlight(r, { tool: 'dminit', initPath, dbName }, this.timeoutMs);
    const dbDir = path.join(step.params.initPath, step.params.dbName);
    if (await ctx.ex.exists(step.host, step.params.iniPath)) return `${step.params.iniPath} exists`;
    const ls = await r.exec(`ls -A ${shQuote(dbDir)} 2>/dev/null | head -5`);
    if (ls.stdout.trim())
      r.fail(
        `${dbDir} holds files but no dm.ini`,
        ls.stdout.trim(),
        `a database may be there: move it away yourself (dmdeploy never initialises over files), then apply again`,
      );
    return undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const p = step.params;
    await r.must(
      `mkdir -p ${shQuote(p.initPath)}`,
      `cannot create ${p.initPath}`,
      'check the path and its owner',
    );
    const res = await r.must(
      [
        r.bin('dminit'),
        `path=${p.initPath}`,
        `DB_NAME=${p.dbName}`,
        `INSTANCE_NAME=${p.instance}`,
        `PORT_NUM=${p.port}`,
        // 003 7.1.1: a DMDPC node's role and XMAL port are fixed at dminit
        ...(p.dpc ? [`AP_PORT_NUM=${p.dpc.apPort}`, `DPC_MODE=${p.dpc.mode}`] : []),
      ]
        .map(shQuote)
        .join(' '),
      'dminit failed',
      'read the message above; fix the host (disk, permissions) and apply again',
      { stdin: `${r.password()}\n`, timeoutMs: this.timeoutMs },
    );
    ctx.progress(res.stdout.trim().split('\n').slice(-1)[0] ?? 'dminit done');
  },
  async verify(ctx, step) {
    if (!(await ctx.ex.exists(step.host, step.params.iniPath)))
      new Remote(ctx, step).fail(
        `${step.params.iniPath} missing after dminit`,
        '',
        'check dminit path= and DB_NAME',
      );
  },
};
