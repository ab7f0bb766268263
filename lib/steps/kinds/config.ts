/** 7.2.3-7.2.4: dm.ini settings, dmmal.ini, dmarch.ini, dmtimer.ini, dmwatcher.ini of one instance. */
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import { pendingFiles, writeFiles } from './files';
import type { StepOf } from './types';
import type { StepFile } from '../../plan';
import { setGroupCommands } from '../../dm';
import { runMonitorCommands } from '../monitor-session';
import { joiningGroup, readDeployed } from '../deployed';

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
 * The files a join step writes instead (7.10.3-7.10.4): the MAL and archive lists of a running
 * member of a group that a standby joins now. Written here, under the running server, they would
 * name a member it does not know; the join step adds it online first, then writes them.
 */
async function joinedFiles(
  r: Remote,
  files: readonly StepFile[],
): Promise<{ files: StepFile[]; by: string[] }> {
  const none = { files: [], by: [] };
  const mine = files.filter((f) => f.role === 'dmmal.ini' || f.role === 'dmarch.ini');
  if (!mine.length || !(await pendingFiles(r, mine)).length) return none;
  const instance = r.step.params.kind === 'config' ? r.step.params.instance : '';
  const me = (await readDeployed(r.ctx))?.instances.find((i) => i.instance === instance);
  if (!me) return none;
  const by: string[] = [];
  for (const s of r.ctx.plan.steps)
    if (s.params.kind === 'join' && s.params.join.group === me.group)
      if (await joiningGroup(r.ctx, me.group, s.params.instance)) by.push(s.params.instance);
  const dmIni = files.find((f) => f.role === 'dm.ini')?.path ?? '';
  if (!by.length || !(await r.pidsOf('dmserver', dmIni)).length) return none;
  return { files: mine, by };
}

const without = (files: readonly StepFile[], drop: readonly StepFile[]) =>
  files.filter((f) => !drop.includes(f));

export const config: StepKindImpl<StepOf<'config'>> = {
  timeoutMs: 5 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const r = new Remote(ctx, step);
    const left = await pendingFiles(r, step.params.files);
    if (!left.length) return `${step.params.files.length} files already as rendered`;
    const joined = await joinedFiles(r, step.params.files);
    return joined.by.length && !without(left, joined.files).length
      ? `${joined.files.map((f) => f.path).join(', ')}: the join of ${joined.by.join(', ')} adds the new member online, then writes them (7.10.3-7.10.4)`
      : undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    await setGroupOnline(r, step.params.files);
    const joined = await joinedFiles(r, step.params.files);
    const files = without(step.params.files, joined.files);
    if (joined.by.length)
      ctx.progress(
        `${joined.files.map((f) => f.path).join(', ')}: left for the join of ${joined.by.join(', ')}, which adds it to the running server online first (7.10.3-7.10.4)`,
      );
    const pending = await pendingFiles(r, files);
    await writeFiles(r, files);
    // a running dmserver reads its files at its next start only (preflight refuses such a change
    // on a recorded cluster; this says it wherever one is written anyway)
    const serverFiles = pending.filter((f) => f.role !== 'dmwatcher.ini');
    if (
      serverFiles.length &&
      (await r.pidsOf('dmserver', step.params.files.find((f) => f.role === 'dm.ini')?.path ?? '')).length
    )
      ctx.progress(
        `${step.params.instance} is running: ${serverFiles.map((f) => f.path).join(', ')} take effect when it restarts`,
      );
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
