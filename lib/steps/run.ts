/**
 * Running one step: probe the real state, act only if needed, verify the postcondition, all
 * within the step's time limit. Progress lines name the step, the host and the time taken.
 */
import type { Plan, Step, StepKind } from '../plan';
import { ALL_HOSTS } from '../plan/step';
import type { StepContext, StepKindImpl } from './context';
import { StepError } from './error';
import { backup } from './kinds/backup';
import { config } from './kinds/config';
import { copyBackup } from './kinds/copy-backup';
import { dminit } from './kinds/dminit';
import { dpcRegister, dpcStart, dpcVerify, raftLeader, stopRaftGroup } from './kinds/dpc';
import { dcpRegister, dcpStart } from './kinds/dcp';
import { dmdcr, dscRestart, stopAutoRestart } from './kinds/dsc';
import { firstStart } from './kinds/first-start';
import { join } from './kinds/join';
import { leave } from './kinds/leave';
import { mode } from './kinds/mode';
import { monitor } from './kinds/monitor';
import { mount } from './kinds/mount';
import { mppCtl } from './kinds/mpp-ctl';
import { preflight } from './kinds/preflight';
import { restart } from './kinds/restart';
import { restore } from './kinds/restore';
import { purge, stopMonitor, stopServer, stopWatcher } from './kinds/stop';
import { verify } from './kinds/verify';
import { watcher } from './kinds/watcher';

const KINDS: Record<StepKind, StepKindImpl<never>> = {
  preflight,
  dminit,
  'first-start': firstStart,
  'dsc-restart': dscRestart,
  backup,
  'copy-backup': copyBackup,
  dmdcr,
  'mpp-ctl': mppCtl,
  restore,
  config,
  mount,
  mode,
  join,
  leave,
  restart,
  watcher,
  monitor,
  verify,
  'dpc-start': dpcStart,
  'dpc-register': dpcRegister,
  'dcp-start': dcpStart,
  'dcp-register': dcpRegister,
  'dpc-verify': dpcVerify,
  'raft-leader': raftLeader,
  'stop-raft-group': stopRaftGroup,
  'stop-auto-restart': stopAutoRestart,
  'stop-monitor': stopMonitor,
  'stop-watcher': stopWatcher,
  'stop-server': stopServer,
  'dcp-retire': stopServer,
  purge,
};

export interface StepOutcome {
  id: string;
  host: string;
  /** 'done': it acted; 'skipped': the probe found it done; 'checked': a read-only step passed. */
  result: 'done' | 'skipped' | 'checked';
  reason?: string;
  ms: number;
}

export async function runStep(ctx: StepContext, step: Step): Promise<StepOutcome> {
  const impl = KINDS[step.params.kind] as StepKindImpl;
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StepError(
            step.host,
            step.id,
            `timed out after ${impl.timeoutMs / 1000} s`,
            '',
            'check the host; apply again to resume',
          ),
        ),
      impl.timeoutMs,
    );
  });
  const work = (async (): Promise<StepOutcome> => {
    const done = await impl.probe(ctx, step);
    if (done) return { id: step.id, host: step.host, result: 'skipped', reason: done, ms: Date.now() - t0 };
    await impl.act(ctx, step);
    await impl.verify(ctx, step);
    return { id: step.id, host: step.host, result: impl.mutates ? 'done' : 'checked', ms: Date.now() - t0 };
  })();
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Every host a step talks to (the executor connects to one when a command first needs it). A
 * step that may find its group running reads the deployed record from every host of `plan`, and
 * a join talks to every running member.
 */
export function hostsOf(step: Step, plan?: Plan): string[] {
  const impl = KINDS[step.params.kind] as StepKindImpl;
  // a step on every host (ALL_HOSTS) names its hosts itself
  return [...new Set([step.host, ...(impl.hosts?.(step, plan) ?? [])])].filter((h) => h !== ALL_HOSTS);
}
