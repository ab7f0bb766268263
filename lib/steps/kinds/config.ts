/** 7.2.3-7.2.4: dm.ini settings, dmmal.ini, dmarch.ini, dmtimer.ini, dmwatcher.ini of one instance. */
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import { pendingFiles, writeFiles } from './files';
import type { StepOf } from './types';
import type { StepFile } from '../../plan';
import { setGroupCommands } from '../../dm';
import { runMonitorCommands } from '../monitor-session';

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

export const config: StepKindImpl<StepOf<'config'>> = {
  timeoutMs: 5 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const left = await pendingFiles(new Remote(ctx, step), step.params.files);
    return left.length ? undefined : `${step.params.files.length} files already as rendered`;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    await setGroupOnline(r, step.params.files);
    const pending = await pendingFiles(r, step.params.files);
    await writeFiles(r, step.params.files);
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
    const left = await pendingFiles(new Remote(ctx, step), step.params.files);
    if (left.length)
      new Remote(ctx, step).fail(
        `${left.map((f) => f.path).join(', ')} differ after writing`,
        '',
        'check the disk and apply again',
      );
  },
};
