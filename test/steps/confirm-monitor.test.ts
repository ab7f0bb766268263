// Starting the confirm monitor (Remote.startConfirmMonitor): it must stay up after its start; an
// early exit (a watcher still counting the monitor just stopped, manual 4.1) is tried again,
// bounded, and then fails with the monitor's own output.
import { describe, expect, it } from 'vitest';
import { StepError } from '../../lib/steps/error';
import { fakeRemote } from '../support/fake-remote';

const INI = '/dm/data/dmmonitor.ini';
const REFUSAL = '[!!!] group GRP1 already has a confirm monitor (MON_DW_CONFIRM = 1)';

/** One host whose n-th dmmonitor start stays up only from start `upFrom` on (0: never). */
function fakeHost(upFrom: number) {
  const seen = { starts: 0, progress: [] as string[] };
  const ex = {
    hostNames: () => ['H'],
    exec: (_h: string, command: string) => {
      let stdout = '';
      if (command.includes('setsid nohup')) seen.starts++;
      else if (command.includes('ps -eww'))
        stdout =
          'net:[4026532001]\n' +
          (upFrom && seen.starts >= upFrom ? `   777 4026532001 Sl   /dm/bin/dmmonitor ${INI}\n` : '');
      else if (command.startsWith('tail ')) stdout = `[monitor] 启动确认监视器\n${REFUSAL}\n`;
      return Promise.resolve({ exitCode: 0, stdout, stderr: '' });
    },
  };
  const r = fakeRemote(ex, { id: 'DW_M/monitor', kind: 'monitor' }, (l) => seen.progress.push(l));
  return { r, seen };
}

describe('starting the confirm monitor', () => {
  it('is done once the started monitor stays up', async () => {
    const { r, seen } = fakeHost(1);
    await r.startConfirmMonitor(INI, { settleMs: 300 });
    expect(seen.starts).toBe(1);
  });

  it('starts it again when it exited right after its start, and is done once one stays up', async () => {
    const { r, seen } = fakeHost(2);
    await r.startConfirmMonitor(INI, { settleMs: 300 });
    expect(seen.starts).toBe(2);
    expect(seen.progress).toEqual([
      `the confirm monitor exited right after its start (${REFUSAL}); starting it again`,
    ]);
  });

  it("fails after the bounded attempts, naming the host, the step and the monitor's message", async () => {
    const { r, seen } = fakeHost(0);
    const e = await r.startConfirmMonitor(INI, { settleMs: 300, attempts: 3 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StepError);
    expect(seen.starts).toBe(3);
    const m = (e as Error).message;
    expect(m).toContain('DW_M/monitor');
    expect(m).toContain('exited within 0.3 s of its start, 3 times');
    expect(m).toContain(REFUSAL);
  });
});
