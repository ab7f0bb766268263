// What waits for a restart (lib/steps/pending.ts): a marker names the dmserver process that ran
// when a file it reads at start was written; it waits while that same process runs.
import { describe, expect, it } from 'vitest';
import {
  clearPending,
  markPending,
  markStopping,
  pendingRestart,
  serverProcess,
} from '../../lib/steps/pending';
import { fakeRemote } from '../support/fake-remote';

const INI = '/dm/data/DAMENG/dm.ini';

/** One host: a process table and files, answering the few commands pending.ts sends. */
function fakeHost() {
  const files = new Map<string, string>();
  const proc = { pid: 0, start: '', boot: 'boot-1' };
  const ex = {
    hostNames: () => ['H'],
    exec: (_h: string, command: string) => {
      let stdout = '';
      // Remote.processes: its own netns, then ps's table (one process of another netns beside it)
      if (command.includes('ps -eww'))
        stdout =
          'net:[4026532001]\n' +
          (proc.pid
            ? `${String(proc.pid).padStart(7)} 4026532001 Sl   /dm/bin/dmserver ${INI} mount -noconsole\n`
            : '') +
          `   4242 4026531833 Sl   /dm/bin/dmserver ${INI} mount -noconsole\n`;
      else if (command.startsWith('cut -d'))
        stdout = command.includes(`/proc/${proc.pid}/stat`)
          ? `${proc.start}\n${proc.boot}\n`
          : `\n${proc.boot}\n`;
      else if (command.startsWith('rm -f ')) files.delete(command.slice(6).replace(/'/g, ''));
      return Promise.resolve({ exitCode: 0, stdout, stderr: '' });
    },
    exists: (_h: string, p: string) => Promise.resolve(files.has(p)),
    readFile: (_h: string, p: string) => Promise.resolve(Buffer.from(files.get(p) ?? '')),
    writeFile: (_h: string, p: string, text: string) => {
      files.set(p, text);
      return Promise.resolve();
    },
  };
  const r = fakeRemote(ex, { id: 'GRP1_RT_01/config', kind: 'config' });
  return { r, proc };
}

describe('a server waiting for a restart', () => {
  it('waits while the process that ran when the file was written runs, and no longer once it restarted', async () => {
    const { r, proc } = fakeHost();
    Object.assign(proc, { pid: 4242, start: '1000' });
    const before = await serverProcess(r, INI);
    await markPending(r, 'GRP1_RT_01', INI, before, [INI]);
    expect(await pendingRestart(r, 'GRP1_RT_01', INI)).toEqual({ files: [INI], state: 'waits' });
    // restarted: another process (the same pid after a reboot has another start time and boot id)
    Object.assign(proc, { start: '2000' });
    expect(await pendingRestart(r, 'GRP1_RT_01', INI)).toBeUndefined();
    Object.assign(proc, { start: '1000', boot: 'boot-2' });
    expect(await pendingRestart(r, 'GRP1_RT_01', INI)).toBeUndefined();
  });

  it('marks nothing when the server read before the write no longer runs (a server started since has read the file)', async () => {
    const { r, proc } = fakeHost();
    Object.assign(proc, { pid: 4242, start: '1000' });
    const before = await serverProcess(r, INI);
    Object.assign(proc, { pid: 5151, start: '3000' });
    await markPending(r, 'GRP1_RT_01', INI, before, [INI]);
    expect(await pendingRestart(r, 'GRP1_RT_01', INI)).toBeUndefined();
  });

  it('a server the restart step stopped and did not start again is down, to be started; cleared, nothing waits', async () => {
    const { r, proc } = fakeHost();
    Object.assign(proc, { pid: 4242, start: '1000' });
    await markPending(r, 'GRP1_RT_01', INI, await serverProcess(r, INI), [INI]);
    await markStopping(r, 'GRP1_RT_01', INI);
    Object.assign(proc, { pid: 0 });
    expect(await pendingRestart(r, 'GRP1_RT_01', INI)).toEqual({ files: [INI], state: 'down' });
    // started again, but the run was cut short before the group settled: still the step's to finish
    Object.assign(proc, { pid: 6000, start: '4000' });
    expect(await pendingRestart(r, 'GRP1_RT_01', INI)).toEqual({ files: [INI], state: 'restarted' });
    await clearPending(r, 'GRP1_RT_01');
    expect(await pendingRestart(r, 'GRP1_RT_01', INI)).toBeUndefined();
  });

  it('a server stopped by someone else, without the restart step, is not taken for one left down', async () => {
    const { r, proc } = fakeHost();
    Object.assign(proc, { pid: 4242, start: '1000' });
    await markPending(r, 'GRP1_RT_01', INI, await serverProcess(r, INI), [INI]);
    Object.assign(proc, { pid: 0 });
    expect(await pendingRestart(r, 'GRP1_RT_01', INI)).toBeUndefined();
  });
});
