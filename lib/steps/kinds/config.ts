/** 7.2.3-7.2.4: dm.ini settings, dmmal.ini, dmarch.ini, dmtimer.ini, dmwatcher.ini of one instance. */
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import { pendingFiles, writeFiles } from './files';
import type { StepOf } from './types';
import type { StepFile } from '../../plan';
import { dmMessage, setGroupCommands, splitSettings } from '../../dm';
import { changedSettings } from '../../families/data-guard/plan/deployed';
import { parseIni } from '../../render/ini';
import { dcpPortIn, PROXY_SESSION } from './dcp';
import { runMonitorCommands } from '../monitor-session';
import { movingMembers, unlike } from '../group-session';
import { markPending, serverProcess } from '../pending';

/**
 * §4.4 item 34: when the running watcher's dmwatcher.ini differs from the plan's only in what
 * `set group` changes, the monitor changes every watcher of the group in memory and in its file;
 * writing the file alone would change nothing until the watcher restarts.
 */
async function setGroupOnline(r: Remote, files: readonly StepFile[]): Promise<void> {
  const f = files.find((x) => x.role === 'dmwatcher.ini' && x.kind === 'file');
  if (!f || !(await r.ctx.ex.exists(r.host, f.path))) return;
  const current = (await r.ctx.ex.readFile(r.host, f.path)).toString('utf8');
  const commands = setGroupCommands(current, f.content);
  if (!commands?.length || !(await r.pidsOf('dmwatcher', f.path)).length) return;
  await runMonitorCommands(
    r,
    commands,
    `run them yourself from dmmonitor (login, then ${commands.join('; ')}), then apply again`,
  );
  r.ctx.progress(
    `${commands.join('; ')}: the group's running watchers took it, in memory and in dmwatcher.ini (§4.4 item 34)`,
  );
}

/**
 * The MAL and archive lists of a running server that name a member it does not hold yet: a
 * standby that joins its running group (7.10.3-7.10.4). Written here, under the running server,
 * they would say what it does not do; the join step adds the member online, then writes them.
 */
async function joinedFiles(
  r: Remote,
  files: readonly StepFile[],
): Promise<{ files: StepFile[]; by: string[] }> {
  const none = { files: [], by: [] };
  const mine = files.filter((f) => f.role === 'dmmal.ini' || f.role === 'dmarch.ini');
  if (!mine.length || !(await pendingFiles(r, mine)).length) return none;
  const dmIni = files.find((f) => f.role === 'dm.ini')?.path ?? '';
  if (!(await r.pidsOf('dmserver', dmIni)).length) return none;
  const instance = r.step.params.kind === 'config' ? r.step.params.instance : '';
  const ini = dmIniOf(files);
  const port = ini && ownSession(ini.content)?.port;
  if (!port) return none;
  const unheld = await unlike(r, instance, port, movingMembers(r.ctx));
  return unheld.files.length ? { files: unheld.files, by: unheld.names } : none;
}

/**
 * Where the instance's own sessions are: PORT_NUM in the dm.ini settings the step writes (7.2.3.1);
 * for a DCP proxy its DCP_PORT_NUM, a local session (001 6.1: a PORT_NUM session is an EP's).
 */
function ownSession(iniText: string): { port: number; mppLocal?: boolean } | undefined {
  const dcpPort = dcpPortIn(iniText);
  if (dcpPort !== undefined) return { port: dcpPort, ...PROXY_SESSION };
  const v = parseIni(iniText).globals.find(([k]) => k === 'PORT_NUM')?.[1];
  return v ? { port: Number(v) } : undefined;
}

const dmIniOf = (files: readonly StepFile[]) => files.find((f) => f.role === 'dm.ini');

/**
 * A DCP proxy's DCP_PORT_NUM as the dm.ini on the host has it, before this step rewrites it: the
 * port its restart SHUTDOWNs the running proxy through. Undefined for any other server.
 */
async function proxyPortNow(
  r: Remote,
  files: readonly StepFile[],
  read?: string,
): Promise<number | undefined> {
  const f = dmIniOf(files);
  if (!f || dcpPortIn(f.content) === undefined) return undefined;
  const now = read ?? (await r.ctx.ex.readFile(r.host, f.path).catch(() => undefined))?.toString('utf8');
  return now ? dcpPortIn(now) : undefined;
}

const without = (files: readonly StepFile[], drop: readonly StepFile[]) =>
  files.filter((f) => !drop.includes(f));

/**
 * dm.ini under a running dmserver: the dynamic parameters among the changed settings (V$PARAMETER
 * TYPE SYS or SESSION) are set by SP_SET_PARA_VALUE(1, …), which changes the running server and
 * dm.ini alike; the others are left to the file, and take effect when it restarts. Returns the
 * dm.ini it read before (undefined when no server runs on it): static settings are as they were.
 */
async function setParamsOnline(r: Remote, files: readonly StepFile[]): Promise<string | undefined> {
  const f = files.find((x) => x.role === 'dm.ini');
  if (!f || !(await r.ctx.ex.exists(r.host, f.path)) || !(await r.pidsOf('dmserver', f.path)).length)
    return undefined;
  const current = (await r.ctx.ex.readFile(r.host, f.path)).toString('utf8');
  const settings = changedSettings(current, f.content);
  if (!settings.length) return current;
  const instance = r.step.params.kind === 'config' ? r.step.params.instance : '';
  // the running server answers where the dm.ini it started with says (the spec may move a
  // proxy's DCP_PORT_NUM); a plain server's PORT_NUM does not move under it (LIVE_PORT_CHANGED)
  const own = dcpPortIn(f.content) !== undefined ? ownSession(current) : ownSession(f.content);
  if (!own) return current;
  const { port, ...session } = own;
  const types = await r.paramTypes(port, session);
  if (!types)
    r.fail(
      `V$PARAMETER of ${instance} could not be read`,
      '',
      'the running server must answer to tell dynamic settings from static ones; check it, then apply again',
    );
  const { online } = splitSettings(settings, types);
  // one statement per session: a value DM refuses names itself, and what was taken before it is said
  const done: string[] = [];
  for (const stmt of online) {
    const res = await r.disql(port, [stmt], 60_000, session);
    if (res.exitCode !== 0)
      r.fail(
        `${stmt} on ${instance} failed${done.length ? ` (taken before it: ${done.join('; ')})` : ''}`,
        dmMessage(`${res.stdout}\n${res.stderr}`),
        'read the message; put the setting back in the spec or fix its value, then apply again',
      );
    done.push(stmt);
  }
  if (done.length)
    r.ctx.progress(`${done.join('; ')}: dynamic, ${instance} took it now, in memory and in ${f.path}`);
  return current;
}

export const config: StepKindImpl<StepOf<'config'>> = {
  timeoutMs: 5 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const r = new Remote(ctx, step);
    const left = await pendingFiles(r, step.params.files);
    if (!left.length) return `${step.params.files.length} files already as rendered`;
    const joined = await joinedFiles(r, step.params.files);
    return joined.by.length && !without(left, joined.files).length
      ? `${joined.files.map((f) => f.path).join(', ')}: the join or leave of ${joined.by.join(', ')} changes the running server online, then writes them (7.10.3-7.10.4)`
      : undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    await setGroupOnline(r, step.params.files);
    // dm.ini as the running server read it: DCP_PORT_NUM (static) is still the one it listens on
    const iniBefore = await setParamsOnline(r, step.params.files);
    const joined = await joinedFiles(r, step.params.files);
    const files = without(step.params.files, joined.files);
    if (joined.by.length)
      ctx.progress(
        `${joined.files.map((f) => f.path).join(', ')}: left for the join or leave of ${joined.by.join(', ')}, which changes the running server online first (7.10.3-7.10.4)`,
      );
    const pending = await pendingFiles(r, files);
    // the server process as it runs before the files change: one started since has read them
    const dmIni = step.params.files.find((f) => f.role === 'dm.ini')?.path ?? '';
    const before = await serverProcess(r, dmIni);
    // a running dmserver reads its files at its next start only: the marker says it waits, and the
    // group's restart step restarts it (restarts: rolling) or says so; status reports it meanwhile.
    // Marked before the files are written: a run cut short in between still leaves the marker
    const serverFiles = pending.filter((f) => f.role !== 'dmwatcher.ini');
    // dmmal.ini is never restarted one member at a time (every member must hold the same MAL
    // configuration): it is said below, and not marked for the rolling restart
    const rollable = serverFiles.filter((f) => f.role !== 'dmmal.ini');
    if (rollable.length && before)
      await markPending(
        r,
        step.params.instance,
        dmIni,
        before,
        rollable.map((f) => f.path),
        await proxyPortNow(r, step.params.files, iniBefore),
      );
    await writeFiles(r, files);
    if (serverFiles.length && before) {
      const restart = ctx.plan.steps.find(
        (s) =>
          (s.params.kind === 'restart' &&
            s.params.members.some((m) => m.instance === step.params.instance)) ||
          (s.params.kind === 'dcp-start' && s.params.instance === step.params.instance),
      );
      const rolling =
        (restart?.params.kind === 'restart' && restart.params.rolling) ||
        (restart?.params.kind === 'dcp-start' && restart.params.rolling === true);
      const mal = serverFiles.filter((f) => f.role === 'dmmal.ini');
      if (rollable.length)
        ctx.progress(
          `${step.params.instance} is running: ${rollable.map((f) => f.path).join(', ')} take effect when it restarts` +
            (rolling && restart
              ? `, which ${restart.id} does (${restart.params.kind === 'dcp-start' ? 'one proxy at a time' : 'standbys first, the primary last'})`
              : '; it waits for that restart (restarts: refuse)'),
        );
      if (mal.length)
        ctx.progress(
          `${step.params.instance} is running: ${mal.map((f) => f.path).join(', ')} takes effect only when every member of the group restarts with it (one MAL configuration), which dmdeploy does not do`,
        );
    }
  },
  async verify(ctx, step) {
    const r = new Remote(ctx, step);
    const left = without(
      await pendingFiles(r, step.params.files),
      (await joinedFiles(r, step.params.files)).files,
    );
    if (left.length)
      new Remote(ctx, step).fail(
        `${left.map((f) => f.path).join(', ')} differ after writing`,
        '',
        'check the disk and apply again',
      );
  },
};
