/**
 * DMDSC (7.5): dmrman through dcr_ini, the restart that makes the archives exist (7.5.3.3),
 * dmcss's restart of the nodes in MOUNT (7.5.10) and turning that off before teardown (§4.4).
 */
import { createHash } from 'node:crypto';
import path from 'node:path/posix';
import { shQuote } from '../../ssh';
import type { DscNode } from '../../plan';
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import { runMonitorCommands } from '../monitor-session';
import { pendingFiles, writeFiles } from './files';
import { shutdownServer, startServer } from './server';
import type { StepOf } from './types';

/** dmrman offline: `CTLSTMT=` for a single node, the `use_ap=2 dcr_ini=` console for DMDSC (7.5.3.3). */
export async function runRman(
  r: Remote,
  stmt: string,
  dcrIni: string | undefined,
  what: string,
  hint: string,
  timeoutMs: number,
  useAp?: 2,
): Promise<void> {
  const res = dcrIni
    ? await r.must(
        `${shQuote(r.bin('dmrman'))} use_ap=2 ${shQuote(`dcr_ini=${dcrIni}`)}`,
        `${what} failed`,
        hint,
        { stdin: `${stmt};\nexit;\n`, timeoutMs },
      )
    : await r.must(
        // DMDPC (003 7.2.6): USE_AP=2, dmrman works on the files itself without the dmap service
        `${shQuote(r.bin('dmrman'))} ${shQuote(`CTLSTMT=${stmt}`)}${useAp ? ` USE_AP=${useAp}` : ''}`,
        `${what} failed`,
        hint,
        { timeoutMs },
      );
  r.ctx.progress(res.stdout.trim().split('\n').slice(-1)[0] ?? `${what} done`);
}

/** Fail, naming them, when any of the database's nodes runs: dmrman works on stopped databases only. */
export async function stoppedOrFail(
  r: Remote,
  nodes: readonly Pick<DscNode, 'host' | 'instance' | 'iniPath'>[],
  what: string,
): Promise<void> {
  const running: string[] = [];
  for (const n of nodes)
    if ((await new Remote(r.ctx, r.step, n.host).pidsOf('dmserver', n.iniPath)).length)
      running.push(`${n.instance} on ${n.host}`);
  if (running.length)
    r.fail(
      `dmserver is running: ${running.join(', ')}`,
      '',
      `${what} needs ${nodes.length > 1 ? "every node's" : 'the'} dmserver stopped: stop it normally, then apply again`,
    );
}

const nodeRemote = (r: Remote, n: DscNode) => new Remote(r.ctx, r.step, n.host);

/** 7.5.3.3: run every node once with its archives on, then stop them normally, so archives exist. */
export const dscRestart: StepKindImpl<StepOf<'dsc-restart'>> = {
  hosts: (step) => step.params.nodes.map((n) => n.host),
  timeoutMs: 20 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    return (await new Remote(ctx, step).hasRecord())
      ? 'the DMDSC nodes ran with their archives on'
      : undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const nodes = step.params.nodes;
    // 7.5.3: "正常退出 DMDSC 集群的两个 dmserver 节点实例"; a node left running is stopped normally
    for (const n of nodes) await shutdownServer(nodeRemote(r, n), n);
    // the nodes of one DMDSC database start together
    await Promise.all(nodes.map((n) => startServer(nodeRemote(r, n), n, { mount: false, dcrIni: n.dcrIni })));
    for (const n of nodes) await shutdownServer(nodeRemote(r, n), n);
    await r.writeRecord();
  },
  async verify(ctx, step) {
    const r = new Remote(ctx, step);
    await stoppedOrFail(r, step.params.nodes, 'the offline backup that follows (7.5.3.3)');
    if (!(await r.hasRecord())) r.fail('the restart is not recorded', '', 'apply again');
  },
};

const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

async function dcrRecord(r: Remote, step: StepOf<'dmdcr'>): Promise<string> {
  const text = (await r.ctx.ex.readFile(r.host, step.params.dcrIni)).toString('utf8');
  return `${step.id}@${sha(text)}`;
}

/**
 * A dmdcr step cut short after it wrote dmdcr.ini and before its record: it may have stopped
 * dmcss and dmasmsvr already, and starts them again when it runs.
 */
export async function dmdcrCutShort(r: Remote, step: StepOf<'dmdcr'>): Promise<boolean> {
  if ((await pendingFiles(r, step.params.files)).length) return false;
  return !(await r.hasRecord(await dcrRecord(r, step)));
}

/**
 * 7.5.10: the restart settings in dmdcr.ini take effect only when dmcss restarts, and dmcss
 * going alone force-closes dmasmsvr: so dmasmsvr, then dmcss, stop normally and start again.
 */
export const dmdcr: StepKindImpl<StepOf<'dmdcr'>> = {
  timeoutMs: 5 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const r = new Remote(ctx, step);
    if ((await pendingFiles(r, step.params.files)).length) return undefined;
    return (await r.hasRecord(await dcrRecord(r, step)))
      ? `${step.params.dcrIni} in effect (dmcss restarted after it was written)`
      : undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const p = step.params;
    await stoppedOrFail(r, p.nodes, 'restarting dmcss and dmasmsvr (7.5.10)');
    await writeFiles(r, p.files);
    await r.terminate(await r.pidsOf('dmasmsvr', p.dcrIni), 'dmasmsvr');
    await r.terminate(await r.pidsOf('dmcss', p.dcrIni), 'dmcss');
    const name = path.basename(p.dcrIni, '.ini');
    await r.startDetached(`dmcss_${name}`, [r.bin('dmcss'), `dcr_ini=${p.dcrIni}`], 'IS READY', 60_000);
    await r.startDetached(`dmasmsvr_${name}`, [r.bin('dmasmsvr'), `dcr_ini=${p.dcrIni}`], 'IS READY', 60_000);
    await r.writeRecord(await dcrRecord(r, step));
  },
  async verify(ctx, step) {
    const r = new Remote(ctx, step);
    for (const tool of ['dmcss', 'dmasmsvr'])
      if (!(await r.pidsOf(tool, step.params.dcrIni)).length)
        r.fail(`${tool} is not running`, '', `read ${r.outFile(tool)}*.out on ${step.host}`);
    if (!(await this.probe(ctx, step)))
      r.fail(`${step.params.dcrIni} differs from the plan`, '', 'apply again');
  },
};

/**
 * §4.4 item 31: `set group <g> auto restart off` from a monitoring-mode monitor, so that dmcss
 * does not start the DMDSC nodes again once teardown stops them (the flag lives in dmcss's memory
 * until dmcss restarts).
 */
export const stopAutoRestart: StepKindImpl<StepOf<'stop-auto-restart'>> = {
  timeoutMs: 2 * 60_000,
  mutates: true,
  async probe() {
    return undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const commands = step.params.groups.map((g) => `set group ${g.name} auto restart off`);
    await runMonitorCommands(
      r,
      commands,
      "turn dmcss's restart off yourself (dmmonitor: login, then set group <g> auto restart off), then destroy again",
      // its own monitor file, of these groups (the plan renders it): the deploy's may be gone
      step.params.monitoringIni,
    );
    ctx.progress(`${commands.join('; ')}: done`);
  },
  async verify() {},
};
